package record_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

var update = flag.Bool("update", false, "rewrite golden files")

// ecsAllowed is ECS 9.x schemas/event.yml: event.kind's allowed values and
// each event.category's expected event.type values (the categories we
// use and their neighbours).
var (
	ecsKinds    = []string{"alert", "asset", "enrichment", "event", "metric", "state", "pipeline_error", "signal"}
	ecsOutcomes = []string{"failure", "success", "unknown"}
	ecsTypes    = map[string][]string{
		"api":                 {"access", "admin", "allowed", "change", "creation", "deletion", "denied", "end", "info", "start", "user"},
		"authentication":      {"start", "end", "info"},
		"configuration":       {"access", "change", "creation", "deletion", "info"},
		"iam":                 {"admin", "change", "creation", "deletion", "group", "info", "user"},
		"intrusion_detection": {"allowed", "denied", "info"},
		"network":             {"access", "allowed", "connection", "denied", "end", "info", "protocol", "start"},
		"session":             {"start", "end", "info"},
		"web":                 {"access", "error", "info"},
	}
)

func TestGoldenEveryAction(t *testing.T) {
	for _, a := range secevent.Actions() {
		t.Run(string(a), func(t *testing.T) {
			e := logtest.GoldenEvent(a)
			data, err := record.MarshalEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "golden", string(a)+".ecs.json"), append(data, '\n'))
			if !record.DocTime(data).Equal(record.Sanitize(e).Time) {
				t.Fatalf("docTime %v, want %v", record.DocTime(data), record.Sanitize(e).Time)
			}
			again, _ := record.MarshalEvent(e)
			if !bytes.Equal(data, again) {
				t.Fatal("encoding is not deterministic")
			}

			var doc map[string]any
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			ev := doc["event"].(map[string]any)
			if !slices.Contains(ecsKinds, ev["kind"].(string)) {
				t.Fatalf("event.kind %v not allowed", ev["kind"])
			}
			if !slices.Contains(ecsOutcomes, ev["outcome"].(string)) {
				t.Fatalf("event.outcome %v not allowed", ev["outcome"])
			}
			cats := strs(ev["category"])
			types := strs(ev["type"])
			if len(cats) == 0 || len(types) == 0 {
				t.Fatal("category and type are required for every action")
			}
			for _, c := range cats {
				allowed, ok := ecsTypes[c]
				if !ok {
					t.Fatalf("event.category %q not allowed", c)
				}
				for _, ty := range types {
					if !slices.Contains(allowed, ty) {
						t.Fatalf("event.type %q not expected with category %q", ty, c)
					}
				}
			}
			if doc["@timestamp"] != "2026-12-01T07:30:15.123456Z" {
				t.Fatalf("@timestamp %v", doc["@timestamp"])
			}
			if ev["sequence"].(float64) != 42 || ev["id"] != e.ID || ev["action"] != string(a) {
				t.Fatalf("event fields: %v", ev)
			}
			if doc["observer"].(map[string]any)["name"] != "edge-1" {
				t.Fatal("observer.name must be the instance")
			}
			rel, _ := doc["related"].(map[string]any)
			if e.SourceIP != "" && !slices.Contains(strs(rel["ip"]), e.SourceIP) {
				t.Fatalf("related.ip misses %s: %v", e.SourceIP, rel)
			}
			for _, u := range []string{e.UserEmail, e.UserID, e.TargetUser, e.TargetEmail} {
				if u != "" && !slices.Contains(strs(rel["user"]), u) {
					t.Fatalf("related.user misses %s: %v", u, rel)
				}
			}
			if e.SourceIP == "" && e.UserEmail == "" && e.UserID == "" && rel != nil {
				t.Fatalf("related filled from nothing: %v", rel)
			}

			o := record.OCSF(e)
			ob, err := json.MarshalIndent(o, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "golden", string(a)+".ocsf.json"), append(ob, '\n'))
			checkOCSF(t, e, o)

			back, err := record.UnmarshalEvent(data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, record.Sanitize(e)) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", back, record.Sanitize(e))
			}
		})
	}
}

// checkOCSF asserts OCSF 1.8.0's required attributes of the base event
// and of each class we emit.
func checkOCSF(t *testing.T, e secevent.Event, o map[string]any) {
	t.Helper()
	for _, k := range []string{"activity_id", "category_uid", "class_uid", "type_uid", "severity_id", "time", "metadata"} {
		if _, ok := o[k]; !ok {
			t.Fatalf("OCSF %s missing", k)
		}
	}
	class, act := o["class_uid"].(int), o["activity_id"].(int)
	if o["type_uid"].(int) != class*100+act {
		t.Fatalf("type_uid %v != %d*100+%d", o["type_uid"], class, act)
	}
	if o["category_uid"].(int) != class/1000 {
		t.Fatalf("category_uid %v for class %d", o["category_uid"], class)
	}
	if o["time"].(int64) != e.Time.UnixMilli() {
		t.Fatalf("time %v is not epoch ms", o["time"])
	}
	meta := o["metadata"].(map[string]any)
	if meta["version"] != "1.8.0" || meta["product"] == nil {
		t.Fatalf("metadata %v", meta)
	}
	if sid := o["status_id"].(int); (e.Outcome == secevent.OutcomeSuccess && sid != 1) || (e.Outcome == secevent.OutcomeFailure && sid != 2) {
		t.Fatalf("status_id %d for %s", sid, e.Outcome)
	}
	activities := map[int][]int{3002: {1, 2}, 3001: {1, 3, 4, 9, 12}, 6003: {1, 2, 3, 4, 99}, 4002: {1, 2, 3, 4, 5, 6, 7, 8, 9, 99}, 6002: {8, 99}}
	if !slices.Contains(activities[class], act) {
		t.Fatalf("activity %d not valid for class %d", act, class)
	}
	required := map[int][]string{
		3002: {"user"},
		3001: {"user"},
		6003: {"actor", "api", "src_endpoint"},
		4002: {"src_endpoint", "dst_endpoint", "http_request", "action_id", "disposition_id"},
		6002: {"app"},
	}
	for _, k := range required[class] {
		if _, ok := o[k]; !ok {
			t.Fatalf("class %d requires %s", class, k)
		}
	}
	// The schema's at_least_one constraints (authentication.json,
	// network.json, http_activity.json).
	atLeastOne := map[int][][]string{
		3002: {{"service", "dst_endpoint"}},
		4002: {{"src_endpoint", "dst_endpoint"}, {"http_request", "http_response"}},
	}
	for _, set := range atLeastOne[class] {
		found := false
		for _, k := range set {
			if _, ok := o[k]; ok {
				found = true
			}
		}
		if !found {
			t.Fatalf("class %d needs one of %v", class, set)
		}
	}
	if api, ok := o["api"].(map[string]any); ok && api["operation"] == "" {
		t.Fatal("api.operation is required")
	}
	if prod := meta["product"].(map[string]any); prod["vendor_name"] == nil || prod["name"] == nil {
		t.Fatalf("metadata.product %v", prod)
	}
	if e.SourceIP != "" {
		if src, _ := o["src_endpoint"].(map[string]any); src != nil && src["ip"] != e.SourceIP {
			t.Fatalf("src_endpoint.ip %v", src["ip"])
		}
	}
}

func strs(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs:\n got %s\nwant %s", path, got, want)
	}
}

func TestEncodeRedactsAndSanitises(t *testing.T) {
	e := logtest.GoldenEvent(secevent.ActionPasswordReset)
	e.Path = "/api/auth/reset-password/abcDEF123token?callbackURL=%2Freset&token=secret"
	e.Labels = map[string]string{"zone": "x", "reset_token": "secret", "Password": "hunter2", "bad.key": "v", "session_id": "s"}
	e.UserAgent = "evil\x00\n\"ua\\\xff"
	e.SourceIP = "::ffff:198.51.100.7"
	e.Outcome = "weird"
	data, err := record.MarshalEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, bad := range []string{"secret", "hunter2", "abcDEF123token", "callbackURL", "bad.key", "session_id", "\x00", "\xff"} {
		if strings.Contains(s, bad) {
			t.Fatalf("%q leaked into %s", bad, s)
		}
	}
	if !strings.Contains(s, `"url":{"path":"/api/auth/reset-password/REDACTED"}`) {
		t.Fatalf("path not redacted: %s", s)
	}
	if !strings.Contains(s, `"source":{"ip":"198.51.100.7"}`) || !strings.Contains(s, `"outcome":"unknown"`) {
		t.Fatalf("not sanitised: %s", s)
	}
	if !json.Valid(data) {
		t.Fatalf("invalid JSON: %s", s)
	}
	back, err := record.UnmarshalEvent(data)
	if err != nil {
		t.Fatal(err)
	}
	if back.UserAgent != "evil\x00\n\"ua\\\uFFFD" || back.Labels["zone"] != "x" || len(back.Labels) != 1 {
		t.Fatalf("decoded %+v", back)
	}
	if !reflect.DeepEqual(record.Sanitize(back), back) {
		t.Fatal("Sanitize is not idempotent")
	}
	if _, err := record.MarshalEvent(secevent.Event{Time: time.Now()}); err == nil {
		t.Fatal("an event without action must not encode")
	}
	if _, err := record.MarshalEvent(secevent.Event{Action: secevent.ActionSignOut}); err == nil {
		t.Fatal("an event without time must not encode")
	}
	long := logtest.GoldenEvent(secevent.ActionSignInFailed)
	long.UserAgent = strings.Repeat("é", 4000)
	d2, _ := record.MarshalEvent(long)
	if b2, _ := record.UnmarshalEvent(d2); len(b2.UserAgent) > record.MaxUserAgent || b2.UserAgent == "" {
		t.Fatalf("user agent not capped: %d", len(b2.UserAgent))
	}
}
