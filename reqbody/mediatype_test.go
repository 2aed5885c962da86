package reqbody

import "testing"

func TestStrictEssence(t *testing.T) {
	for v, want := range map[string]string{
		"application/json":                    "application/json",
		"  application/json\t":                "application/json",
		"APPLICATION/JSON":                    "application/json",
		"application/json;charset=utf-8":      "application/json",
		"application/json ; CHARSET=UTF-8 ":   "application/json",
		"application/x-www-form-urlencoded":   "application/x-www-form-urlencoded",
		"text/plain":                          "text/plain",
		"application/vnd.api+json":            "application/vnd.api+json",
		"application/json; charset=\"utf-8\"": "application/json",
	} {
		if got, ok := strictEssence(v); !ok || got != want {
			t.Errorf("strictEssence(%q) = %q, %v; want %q", v, got, ok, want)
		}
	}
	for _, v := range []string{
		"", "application", "/json", "application/", "application/json/x", "application/json, text/plain",
		"application/json;", "application/json; charset=utf-8; x=y", "application/json; charset=utf8",
		"application/json; charset=", "application/json; boundary=x", "applicatİon/json", "application/json\x00",
		"application /json", "application/js on", "application/json; charset=\"utf-8", "multipart/form-data; boundary=x",
		"application/json\xc2\xa0",
	} {
		if got, ok := strictEssence(v); ok {
			t.Errorf("strictEssence(%q) = %q, accepted", v, got)
		}
	}
}

func TestParseMediaTypeAllowed(t *testing.T) {
	if k, ref := ParseMediaType([]string{"application/x-www-form-urlencoded"}, false); ref == nil {
		t.Fatalf("form accepted on a JSON-only endpoint: %v", k)
	}
	if k, ref := ParseMediaType([]string{"application/x-www-form-urlencoded"}, true); ref != nil || k != Form {
		t.Fatalf("form refused where allowed: %v %v", k, ref)
	}
	if k, ref := ParseMediaType(nil, false); ref != nil || k != None {
		t.Fatalf("no Content-Type: %v %v", k, ref)
	}
	if _, ref := ParseMediaType([]string{"application/json", "application/json"}, false); ref == nil {
		t.Fatal("two Content-Type lines accepted")
	}
}
