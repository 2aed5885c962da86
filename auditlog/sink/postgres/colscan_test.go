package postgres

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	mrand "math/rand/v2"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ocomms/ocomms-edge/secevent"
)

// pgScanAgrees fails t when pgScanColumns claims an answer encoding/json
// would not give: ok must mean json.Valid and json.Unmarshal's very
// document, without error.
func pgScanAgrees(t testing.TB, data []byte) bool {
	t.Helper()
	if got, want := pgJSONBAccepts(data), pgJSONBAcceptsReference(data); got != want {
		t.Fatalf("pgJSONBAccepts(%q) = %v, the reference says %v", data, got, want)
	}
	got, jsonbOK, ok := pgScanColumnsJSONB(data)
	if !ok {
		return false
	}
	if !json.Valid(data) {
		t.Fatalf("pgScanColumns accepts invalid JSON %q", data)
	}
	if want := pgJSONBAcceptsReference(data); jsonbOK != want {
		t.Fatalf("pgScanColumnsJSONB(%q) says jsonb accepts it: %v, the reference says %v", data, jsonbOK, want)
	}
	var want pgColumnsDoc
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("pgScanColumns accepts %q, which json.Unmarshal refuses: %v", data, err)
	}
	if got != want {
		t.Fatalf("pgScanColumns(%q) = %+v, json.Unmarshal gives %+v", data, got, want)
	}
	return true
}

// pgJSONBAcceptsReference is the jsonb check as first written (what
// stored detail_ok values were derived with).
func pgJSONBAcceptsReference(data []byte) bool {
	return utf8.Valid(data) && json.Valid(data) && !bytes.Contains(data, []byte(`\u0000`)) &&
		!bytes.Contains(data, []byte(`\ud`)) && !bytes.Contains(data, []byte(`\uD`))
}

// TestPostgresParseUUID: the allocation-free parser agrees with
// encoding/hex on canonical, mixed-case and broken ids.
func TestPostgresParseUUID(t *testing.T) {
	ref := func(s string) pgtype.UUID {
		if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return pgtype.UUID{}
		}
		var u pgtype.UUID
		if _, err := hex.Decode(u.Bytes[:], []byte(s[0:8]+s[9:13]+s[14:18]+s[19:23]+s[24:36])); err != nil {
			return pgtype.UUID{}
		}
		u.Valid = true
		return u
	}
	rng := mrand.New(mrand.NewPCG(3, uint64(time.Now().UnixNano())))
	ids := []string{"0000002a-0000-4000-8000-00000000002a", "ABCDEF01-2345-6789-abcd-ef0123456789", "", "x",
		"0000002a-0000-4000-8000-00000000002", "0000002a00000-4000-8000-00000000002a", "0000002g-0000-4000-8000-00000000002a"}
	for range 5000 {
		b := []byte("0123abcd-ef45-4A6B-8c9D-0123456789af")
		b[rng.IntN(len(b))] = "0aF-gz \xff"[rng.IntN(8)]
		ids = append(ids, string(b))
	}
	for _, id := range ids {
		if got, want := pgParseUUID(id), ref(id); got != want {
			t.Fatalf("pgParseUUID(%q) = %v, want %v", id, got, want)
		}
	}
}

// TestPostgresScanColumnsCanonical: the canonical encoding of varied
// events takes the fast path and gives encoding/json's answer.
func TestPostgresScanColumnsCanonical(t *testing.T) {
	evs := []secevent.Event{
		{Action: secevent.ActionAdmin, Outcome: "weird", UserID: "u\xff1", UserEmail: "A@B.example", UserName: "Zoë \"q\" \\ <b>",
			TargetUser: "t", TargetEmail: "T@x.example", SourceIP: "::ffff:10.1.2.3", Status: 404, ID: "id",
			Labels: map[string]string{"Key": "v\n", "x": "\u2028"}, Time: pgT0.Add(1500)},
		{Action: secevent.ActionSignOut, Time: pgT0},
	}
	for i := range 200 {
		evs = append(evs, pgTestEvent(i, pgT0.Add(time.Duration(i)*time.Second)))
	}
	fast := 0
	for _, e := range evs {
		if pgScanAgrees(t, pgEncode(e)) {
			fast++
		}
	}
	// The first event has escapes in a wanted field (slow path is fine);
	// every plain one must be fast, or the chain read is slow again.
	if fast < len(evs)-1 {
		t.Fatalf("only %d of %d canonical documents take the fast path", fast, len(evs))
	}
}

// TestPostgresScanColumnsTricky: documents where a naive scanner and
// encoding/json part ways are refused or answered as encoding/json does.
func TestPostgresScanColumnsTricky(t *testing.T) {
	base := `{"@timestamp":"2026-11-20T10:00:00.000000Z","event":{"action":"a","id":"i","outcome":"success"},"http":{"response":{"status_code":200}},"source":{"ip":"1.2.3.4"},"user":{"email":"e","id":"u","target":{"email":"te","id":"tu"}}}`
	if !pgScanAgrees(t, []byte(base)) {
		t.Fatal("the base document should take the fast path")
	}
	for _, doc := range []string{
		`{"Event":{"action":"b"}}`,                    // case-insensitive key
		`{"event":{"ACTION":"b"}}`,                    // case-insensitive key
		`{"event":{"action":"a"},"event":{"id":"x"}}`, // repeated object: merged
		`{"event":{"action":"a","action":"b"}}`,       // repeated field: last wins
		`{"event":{"action":"\u0061"}}`,               // escape in a wanted value
		`{"event":{"action":"\u0061\"}}`,              // broken
		`{"event":{"action":null}}`,                   // null
		`{"event":{"action":1}}`,                      // type mismatch
		`{"event":"x"}`,                               // type mismatch
		`{"http":{"response":{"status_code":2e2}}}`,   // not an int
		`{"http":{"response":{"status_code":200.0}}}`, // not an int
		`{"http":{"response":{"status_code":99999999999999999999}}}`,
		`{"http":{"response":{"status_code":-0}}}`,                     // valid, 0
		`{"http":{"response":{"status_code":01}}}`,                     // invalid number
		`{"user":{"email":"a\xffb"}}`,                                  // invalid UTF-8 in a wanted value
		`{"user":{"émail":"x"}}`,                                       // non-ASCII key at a wanted level
		`{"user":{"name":"Zoë"}}`,                                      // valid UTF-8
		`{"labels":{"Event":"x","a":"\ud800"},"event":{"action":"a"}}`, // anything goes below unwanted keys
		`{"event":{"action":"a"}} x`,                                   // trailing data
		`{"event":{"action":"a"},}`,                                    // trailing comma
		`{"event":{"action":"a"}`,                                      // unterminated
		`{"x":[1,2,{"a":[true,false,null]}],"event":{"action":"a"}}`,
		`{"x":[1,]}`, `{"x":tru}`, `{"x":nul}`, `{"x":-}`, `{"x":1.}`, `{"x":1e}`, `{"x":.5}`, `{"x":"a` + "\x01" + `"}`,
		` {"event" : { "action" : "a" } } `, "\t{\r\n}\n", `[]`, `"x"`, `null`, ``, `{`,
		`{"event":{"action":"a"}}` + "\x00",
		`{"event":{"action":"a"},"x":"\u0000"}`, `{"event":{"action":"a"},"x":"\\u0000"}`, `{"event":{"action":"a"},"x":"\ud83d\ude00"}`,
		`{"event":{"action":"a"},"x":"\uDC00"}`, `{"event":{"action":"a"},"x":"\\ud"}`, `{"event":{"action":"a"},"x":"\u00e9"}`,
		`{"event":{"action":"a"},"x":"` + "\xff" + `"}`, `{"event":{"action":"a"},"x":"é"}`,
	} {
		pgScanAgrees(t, []byte(doc))
	}
	// A few answers are known exactly.
	for doc, want := range map[string]bool{
		`{"user":{"name":"Zoë"}}`: true, `{"Event":{"action":"b"}}`: false, `{"event":{"action":null}}`: false,
		`{"x":[1,]}`: false, `{"http":{"response":{"status_code":-0}}}`: true,
	} {
		if _, ok := pgScanColumns([]byte(doc)); ok != want {
			t.Errorf("pgScanColumns(%s): ok %v, want %v", doc, ok, want)
		}
	}
}

// TestPostgresScanColumnsMutations: random byte edits of canonical
// documents never make the fast path disagree with encoding/json.
func TestPostgresScanColumnsMutations(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(7, uint64(time.Now().UnixNano())))
	alphabet := []byte(`{}[]":,\ u0aAeE.-+19tfnl` + "\x00\x1f\x7f\xc3\xa9\xff\t")
	fastMutants := 0
	for i := range 20000 {
		doc := pgEncode(pgTestEvent(i, pgT0.Add(time.Duration(i)*time.Millisecond)))
		for range 1 + rng.IntN(3) {
			p := rng.IntN(len(doc))
			switch rng.IntN(4) {
			case 0:
				doc = append(doc[:p:p], doc[p+1:]...)
			case 1:
				doc = append(doc[:p:p], append([]byte{alphabet[rng.IntN(len(alphabet))]}, doc[p:]...)...)
			case 2:
				doc[p] = alphabet[rng.IntN(len(alphabet))]
			case 3: // upper-case a letter (keys fold)
				if doc[p] >= 'a' && doc[p] <= 'z' {
					doc[p] -= 'a' - 'A'
				}
			}
		}
		if pgScanAgrees(t, doc) {
			fastMutants++
		}
	}
	if fastMutants == 0 {
		t.Fatal("no mutant took the fast path: the test checks nothing")
	}
	t.Logf("%d of 20000 mutants took the fast path and agreed", fastMutants)
}

// FuzzPostgresScanColumns: the fast path agrees with encoding/json on any
// input.
func FuzzPostgresScanColumns(f *testing.F) {
	f.Add(pgEncode(pgTestEvent(1, pgT0)))
	f.Add([]byte(`{"Event":{"action":"b"},"event":{"action":"a"}}`))
	f.Add([]byte(`{"http":{"response":{"status_code":-0}},"x":[1,{"y":null}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		pgScanAgrees(t, data)
	})
}
