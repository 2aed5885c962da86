package doctor

// walkHandlers calls fn for every JSON object with a "handler" key under v
// (a Caddy JSON config or part of one), nested handlers included.
func walkHandlers(v any, fn func(map[string]any)) {
	switch t := v.(type) {
	case map[string]any:
		if _, ok := t["handler"].(string); ok {
			fn(t)
		}
		for _, c := range t {
			walkHandlers(c, fn)
		}
	case []any:
		for _, c := range t {
			walkHandlers(c, fn)
		}
	}
}

// handlersNamed returns every handler object named name in a Caddy JSON
// config.
func handlersNamed(cfg any, name string) []map[string]any {
	var out []map[string]any
	walkHandlers(cfg, func(h map[string]any) {
		if h["handler"] == name {
			out = append(out, h)
		}
	})
	return out
}
