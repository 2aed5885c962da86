package jsonl

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// chainFixture is a JSONL store held in memory, file by file, so a trial
// can damage a copy and write it out.
type chainFixture struct {
	key   ed25519.PrivateKey
	files []fixtureFile
	cps   []record.Checkpoint // every checkpoint, as the zap or Postgres copy has them
	n     uint64
}

type fixtureFile struct {
	name  string
	lines []string
}

// writeStore writes recs to a JSONL store in dir with a checkpoint every
// cpEvery records and one at the end.
func writeStore(t testing.TB, dir string, key ed25519.PrivateKey, recs []record.Record, cpEvery int) []record.Checkpoint {
	t.Helper()
	j, err := OpenJSONL(JSONLConfig{Dir: dir, RetentionDays: -1})
	if err != nil {
		t.Fatal(err)
	}
	var cps []record.Checkpoint
	ctx := context.Background()
	for i := 0; i < len(recs); i += 10 {
		end := min(i+10, len(recs))
		if err := j.Write(ctx, recs[i:end]); err != nil {
			t.Fatal(err)
		}
		for k := i; k < end; k++ {
			if (k+1)%cpEvery == 0 || k == len(recs)-1 {
				cp := chain.Sign(record.Checkpoint{Instance: recs[k].Instance, Seq: recs[k].Seq, Hash: recs[k].Hash, Time: recs[k].Time}, key)
				if err := j.WriteCheckpoint(ctx, cp); err != nil {
					t.Fatal(err)
				}
				cps = append(cps, cp)
			}
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return cps
}

func newChainFixture(t *testing.T, n int) *chainFixture {
	t.Helper()
	dir := t.TempDir()
	f := &chainFixture{key: logtest.TestKey(t), n: uint64(n)}
	recs := logtest.BuildRecords("edge-1", n, time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC), 4)
	f.cps = writeStore(t, dir, f.key, recs, 37)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range ents {
		data, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		f.files = append(f.files, fixtureFile{name: de.Name(), lines: strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n")})
	}
	if len(f.files) < 4 {
		t.Fatalf("fixture spans %d files, want ≥4", len(f.files))
	}
	return f
}

func (f *chainFixture) clone() []fixtureFile {
	out := make([]fixtureFile, len(f.files))
	for i, ff := range f.files {
		out[i] = fixtureFile{name: ff.name, lines: append([]string(nil), ff.lines...)}
	}
	return out
}

func writeFixture(t testing.TB, dir string, files []fixtureFile) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, de := range ents {
		os.Remove(filepath.Join(dir, de.Name()))
	}
	for _, ff := range files {
		s := strings.Join(ff.lines, "")
		if s != "" && !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, ff.name), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// lineSeq returns a record line's seq, or 0 for a checkpoint line.
func lineSeq(line string) uint64 {
	k, r, _, err := parseLine([]byte(strings.TrimSuffix(line, "\n")))
	if err != nil || k != lineRecord {
		return 0
	}
	return r.Seq
}

// recordPositions lists (file, line) of every record line in order.
func recordPositions(files []fixtureFile) [][2]int {
	var out [][2]int
	for fi, ff := range files {
		for li, l := range ff.lines {
			if lineSeq(l) != 0 {
				out = append(out, [2]int{fi, li})
			}
		}
	}
	return out
}

func verifyDir(t testing.TB, dir string, pub ed25519.PublicKey, extra []record.Checkpoint) chain.Report {
	t.Helper()
	j, err := OpenJSONL(JSONLConfig{Dir: dir, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	var r chain.ChainReader = j
	if extra != nil {
		r = chain.WithCheckpoints(j, extra)
	}
	rep, err := chain.Verify(context.Background(), r, pub)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestVerifyIntactStore(t *testing.T) {
	f := newChainFixture(t, 400)
	dir := t.TempDir()
	writeFixture(t, dir, f.files)
	rep := verifyDir(t, dir, f.key.Public().(ed25519.PublicKey), f.cps)
	ir, _ := rep.Instance("edge-1")
	if !rep.OK() || rep.Records != 400 || ir.Anchored != 400 || ir.First != 1 || ir.Last != 400 {
		t.Fatalf("intact store: %+v", rep)
	}
	// Another key's checkpoints do not count.
	other := logtest.TestKey(t)
	rep = verifyDir(t, dir, other.Public().(ed25519.PublicKey), nil)
	if rep.OK() || rep.Problems[0].Kind != chain.TamperSignature {
		t.Fatalf("wrong key accepted: %+v", rep.Problems)
	}
}

// flipDataByte changes one byte inside the canonical document of a record
// line, keeping it valid JSON where it can (a letter or digit).
func flipDataByte(rng *rand.Rand, line string) string {
	i := strings.Index(line, `,"doc":`) + len(`,"doc":`)
	for tries := 0; tries < 1000; tries++ {
		p := i + rng.IntN(len(line)-i-2)
		c := line[p]
		switch {
		case c >= 'a' && c <= 'y', c >= '0' && c <= '8':
			return line[:p] + string(c+1) + line[p+1:]
		}
	}
	panic("no byte to flip")
}

// The tamper trials: 1,000 random edits of a copy of the store, each of
// which Verify must catch and locate at the right first bad seq.
func TestVerifyTamperTrials(t *testing.T) {
	f := newChainFixture(t, 400)
	pub := f.key.Public().(ed25519.PublicKey)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(4, 2))
	kinds := map[string]int{}
	const trials = 1000
	for trial := 0; trial < trials; trial++ {
		files := f.clone()
		pos := recordPositions(files)
		var want uint64
		var extra []record.Checkpoint
		var kind string
		pick := rng.IntN(len(pos))
		fi, li := pos[pick][0], pos[pick][1]
		seq := lineSeq(files[fi].lines[li])
		switch op := rng.IntN(9); op {
		case 0: // edit a value in the stored event
			kind = "update-doc"
			files[fi].lines[li] = flipDataByte(rng, files[fi].lines[li])
			want = seq
		case 1: // edit the stored hash or prev
			kind = "update-chain"
			l := files[fi].lines[li]
			field := `"hash":"`
			if rng.IntN(2) == 0 {
				field = `"prev":"`
			}
			p := strings.Index(l, field) + len(field) + rng.IntN(64)
			c := byte('0')
			if l[p] == '0' {
				c = '1'
			}
			files[fi].lines[li] = l[:p] + string(c) + l[p+1:]
			want = seq
		case 2: // edit the seq field
			kind = "update-seq"
			l := files[fi].lines[li]
			files[fi].lines[li] = strings.Replace(l, fmt.Sprintf(`"seq":%d,`, seq), fmt.Sprintf(`"seq":%d,`, seq+uint64(1+rng.IntN(5))), 1)
			want = seq
		case 3: // delete a record line
			kind = "delete"
			files[fi].lines = append(files[fi].lines[:li:li], files[fi].lines[li+1:]...)
			want = seq
		case 4: // insert a duplicate of an earlier record before this one
			kind = "insert-dup"
			if pick == 0 {
				pick = 1
				fi, li = pos[1][0], pos[1][1]
				seq = lineSeq(files[fi].lines[li])
			}
			src := pos[rng.IntN(pick)]
			dup := files[src[0]].lines[src[1]]
			want = lineSeq(dup)
			files[fi].lines = append(files[fi].lines[:li:li], append([]string{dup}, files[fi].lines[li:]...)...)
		case 5: // insert a forged record that claims this seq, hashed correctly
			kind = "insert-forged"
			_, r, _, _ := parseLine([]byte(strings.TrimSuffix(files[fi].lines[li], "\n")))
			ev, _ := record.UnmarshalEvent(r.Data)
			ev.UserEmail = "forged@example.com"
			data, _ := record.MarshalEvent(ev)
			forged := record.Record{Instance: r.Instance, Seq: r.Seq, Data: data, PrevHash: r.PrevHash, Hash: record.ChainHash(r.PrevHash, data)}
			line := string(appendRecordLine(nil, &forged))
			files[fi].lines = append(files[fi].lines[:li:li], append([]string{line}, files[fi].lines[li:]...)...)
			want = seq
		case 6: // swap two record lines
			kind = "reorder"
			other := pick
			for other == pick {
				if rng.IntN(2) == 0 {
					other = min(len(pos)-1, pick+1+rng.IntN(3))
					if other == pick {
						other = pick - 1
					}
				} else {
					other = rng.IntN(len(pos))
				}
			}
			a, b := pos[min(pick, other)], pos[max(pick, other)]
			want = lineSeq(files[a[0]].lines[a[1]])
			files[a[0]].lines[a[1]], files[b[0]].lines[b[1]] = files[b[0]].lines[b[1]], files[a[0]].lines[a[1]]
		case 7: // truncate the tail behind a checkpoint
			kind = "truncate"
			if seq == f.n {
				pick--
				fi, li = pos[pick][0], pos[pick][1]
				seq = lineSeq(files[fi].lines[li])
			}
			files[fi].lines = files[fi].lines[:li+1]
			files = files[:fi+1]
			want = seq + 1
			if rng.IntN(2) == 0 {
				extra = f.cps // the anchor kept in another sink
			} else {
				// Or the records are cut but the checkpoint lines stay.
				for _, cp := range f.cps {
					if cp.Seq > seq {
						files[fi].lines = append(files[fi].lines, string(appendCheckpointLine(nil, cp)))
					}
				}
			}
		case 8: // drop a whole day file outside the retention policy
			kind = "drop-day"
			d := rng.IntN(len(files))
			first := uint64(0)
			for _, l := range files[d].lines {
				if s := lineSeq(l); s != 0 {
					first = s
					break
				}
			}
			files = append(files[:d:d], files[d+1:]...)
			want = first
			if d == len(f.files)-1 {
				extra = f.cps // the newest file held the newest checkpoints
			}
		}
		kinds[kind]++
		writeFixture(t, dir, files)
		// Odd trials hash inline, even ones on the worker pool.
		saved := chain.VerifyWorkers
		if trial%2 == 1 {
			chain.VerifyWorkers = 0
		}
		rep := verifyDir(t, dir, pub, extra)
		chain.VerifyWorkers = saved
		ir, _ := rep.Instance("edge-1")
		if rep.OK() || ir.FirstBad != want {
			t.Fatalf("trial %d (%s at seq %d): want first bad %d, got %d (%s: %s); problems %+v",
				trial, kind, seq, want, ir.FirstBad, ir.Kind, ir.Detail, rep.Problems)
		}
	}
	t.Logf("%d trials, all detected at the right seq: %v", trials, kinds)
	if len(kinds) != 9 {
		t.Fatalf("not every tamper kind ran: %v", kinds)
	}
}

// Hashing what jsonb gives back instead of the stored bytes must fail:
// Postgres jsonb reorders keys (shorter first) and adds spaces.
func TestVerifyRejectsJSONBReserialisedData(t *testing.T) {
	key := logtest.TestKey(t)
	recs := logtest.BuildRecords("edge-1", 50, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), 1)
	for i := range recs {
		recs[i].Data = jsonbLike(t, recs[i].Data)
	}
	dir := t.TempDir()
	writeStore(t, dir, key, recs, 10)
	rep := verifyDir(t, dir, key.Public().(ed25519.PublicKey), nil)
	ir, _ := rep.Instance("edge-1")
	if rep.OK() || ir.FirstBad != 1 || ir.Kind != chain.TamperHash {
		t.Fatalf("jsonb-reserialised data verified: %+v", ir)
	}
}

// jsonbLike re-serialises a document as PostgreSQL's jsonb::text does:
// keys ordered by length then bytes, ", " and ": " separators.
func jsonbLike(t *testing.T, data []byte) []byte {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	var write func(v any)
	write = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			for i := range keys {
				for j := i + 1; j < len(keys); j++ {
					a, b := keys[i], keys[j]
					if len(b) < len(a) || len(a) == len(b) && b < a {
						keys[i], keys[j] = b, a
					}
				}
			}
			buf.WriteByte('{')
			for i, k := range keys {
				if i > 0 {
					buf.WriteString(", ")
				}
				kb, _ := json.Marshal(k)
				buf.Write(kb)
				buf.WriteString(": ")
				write(x[k])
			}
			buf.WriteByte('}')
		case []any:
			buf.WriteByte('[')
			for i, e := range x {
				if i > 0 {
					buf.WriteString(", ")
				}
				write(e)
			}
			buf.WriteByte(']')
		default:
			b, _ := json.Marshal(x)
			buf.Write(b)
		}
	}
	write(v)
	out := buf.Bytes()
	if bytes.Equal(out, data) {
		t.Fatal("jsonb-like form equals the canonical bytes")
	}
	return out
}
