package demoupstream

import (
	"fmt"
	"strings"
)

// fieldKind is the JSON type a body field must have.
type fieldKind string

// Field kinds, named as zod names them in its messages.
const (
	kindString  fieldKind = "string"
	kindBoolean fieldKind = "boolean"
	kindObject  fieldKind = "object"
)

// field is one entry of an endpoint's body schema.
type field struct {
	name     string
	kind     fieldKind
	required bool
}

// req and opt build required and optional fields.
func req(name string, kind fieldKind) field { return field{name, kind, true} }
func opt(name string, kind fieldKind) field { return field{name, kind, false} }

// validateBody checks a decoded body against a schema and returns the
// better-call VALIDATION_ERROR message ("" when valid), e.g.
// "[body.password] Invalid input: expected string, received undefined".
func validateBody(value any, defined bool, schema []field) string {
	if !defined {
		return "[body] Invalid input: expected object, received undefined"
	}
	body, ok := value.(map[string]any)
	if !ok {
		return "[body] Invalid input: expected object, received " + typeOf(value)
	}
	var issues []string
	for _, f := range schema {
		v, present := body[f.name]
		if !present {
			if f.required {
				issues = append(issues, issue(f, "undefined"))
			}
			continue
		}
		if got := typeOf(v); got != string(f.kind) {
			issues = append(issues, issue(f, got))
		}
	}
	return strings.Join(issues, "; ")
}

// issue formats one zod issue with better-call's path prefix.
func issue(f field, received string) string {
	return fmt.Sprintf("[body.%s] Invalid input: expected %s, received %s", f.name, f.kind, received)
}

// typeOf names a decoded JSON value's type as zod reports it.
func typeOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// str returns a string field ("" when absent or not a string).
func str(body map[string]any, name string) string {
	s, _ := body[name].(string)
	return s
}

// boolField returns a boolean field and whether it was present.
func boolField(body map[string]any, name string) (value, present bool) {
	b, ok := body[name].(bool)
	return b, ok
}
