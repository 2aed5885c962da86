package headers

import (
	"testing"

	"github.com/ocomms/ocomms-edge/secevent"
)

func TestViolationEventKeepsNoQuery(t *testing.T) {
	v := Violation{
		EffectiveDirective: "script-src-elem", Disposition: "enforce", UserAgent: "ua",
		BlockedURL: "https://cdn.example/w.js?sig=secret", DocumentURL: "https://chat.example/reset?token=t#x",
	}
	e := v.Event("192.0.2.7")
	if e.Action != secevent.ActionCSPViolation || e.SourceIP != "192.0.2.7" || e.UserAgent != "ua" {
		t.Fatalf("%+v", e)
	}
	want := map[string]string{"directive": "script-src-elem", "disposition": "enforce",
		"blocked_uri": "https://cdn.example/w.js", "document_uri": "https://chat.example/reset"}
	for k, w := range want {
		if e.Labels[k] != w {
			t.Errorf("label %s = %q, want %q", k, e.Labels[k], w)
		}
	}
	if len(e.Labels) != len(want) {
		t.Errorf("labels %v", e.Labels)
	}
	if e := (Violation{EffectiveDirective: "img-src", BlockedURL: "inline"}).Event(""); e.Labels["blocked_uri"] != "inline" || e.Labels["document_uri"] != "" || len(e.Labels) != 2 {
		t.Errorf("a report without a document URI: %v", e.Labels)
	}
}
