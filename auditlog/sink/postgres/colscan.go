package postgres

import (
	"strconv"
	"unicode/utf8"
)

// pgScanColumns is the chain read's fast path for the column fields of a
// stored record: one pass over data that validates it as JSON and picks
// out the fields pgColumnsDoc names. ok is true only when the answer is
// certain to be what the slow path gives: json.Valid(data) holds and
// json.Unmarshal(data, &d) returns d without error. Anything it does not
// handle exactly (escapes or invalid UTF-8 in a wanted value, a wanted key
// twice, a key at a wanted level that is not lower-case ASCII and could
// match a field case-insensitively, a wanted field of another JSON type
// or null, a status code that is not a plain integer, deep nesting) gives
// ok false, and the caller decodes with encoding/json instead.
func pgScanColumns(data []byte) (d pgColumnsDoc, ok bool) {
	d, _, ok = pgScanColumnsJSONB(data)
	return d, ok
}

// pgScanColumnsJSONB is pgScanColumns that also says, when ok, whether
// pgJSONBAccepts(data) holds, from what the scan saw: all-ASCII data is
// valid UTF-8, and data without a backslash holds no \u escape.
func pgScanColumnsJSONB(data []byte) (d pgColumnsDoc, jsonbOK, ok bool) {
	s := pgColScanner{data: data}
	s.ws()
	if !s.object(pgLevelTop, 0) {
		return pgColumnsDoc{}, false, false
	}
	s.ws()
	if s.i != len(s.data) {
		return pgColumnsDoc{}, false, false
	}
	total := 0
	for _, sp := range s.spans[:s.n] {
		total += sp[1] - sp[0]
	}
	var stack [512]byte
	buf := stack[:0]
	if total > len(stack) {
		buf = make([]byte, 0, total)
	}
	for _, sp := range s.spans[:s.n] {
		buf = append(buf, s.data[sp[0]:sp[1]]...)
	}
	all, off, fields := string(buf), 0, d.fields()
	for k, sp := range s.spans[:s.n] {
		*fields[s.fields[k]-1] = all[off : off+sp[1]-sp[0]]
		off += sp[1] - sp[0]
	}
	d.HTTP.Response.StatusCode = s.status
	switch {
	case s.nonASCII || s.backslash:
		jsonbOK = pgJSONBAcceptsValid(data)
	default:
		jsonbOK = true
	}
	return d, jsonbOK, true
}

// pgStrPlain marks the bytes a string scan can pass over without a look:
// not '"', a backslash, a control character or a byte ≥ 0x80.
var pgStrPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// pgColLevel is the object of pgColumnsDoc being scanned (pgLevelSkip: an
// object whose fields are not wanted).
type pgColLevel uint8

const (
	pgLevelSkip pgColLevel = iota
	pgLevelTop
	pgLevelEvent
	pgLevelHTTP
	pgLevelResponse
	pgLevelSource
	pgLevelUser
	pgLevelTarget
)

// pgColMaxDepth bounds nesting; deeper documents take the slow path.
const pgColMaxDepth = 64

type pgColScanner struct {
	data []byte
	i    int
	// spans are where the wanted strings are in data, their fields in
	// strs: copied into one string at the end (one allocation a row).
	spans  [10][2]int
	fields [10]uint8
	n      int
	status int
	// nonASCII and backslash record whether any byte ≥ 0x80 or any
	// backslash was seen (the jsonb check's shortcuts).
	nonASCII, backslash bool
}

func (s *pgColScanner) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// The string fields of pgColumnsDoc, as pgColKeys numbers them.
const (
	pgfTimestamp = iota + 1
	pgfAction
	pgfID
	pgfOutcome
	pgfSourceIP
	pgfEmail
	pgfUserID
	pgfName
	pgfTargetEmail
	pgfTargetID
)

// fields returns pointers to d's string fields, indexed by pgf number - 1.
func (d *pgColumnsDoc) fields() [10]*string {
	return [10]*string{&d.Timestamp, &d.Event.Action, &d.Event.ID, &d.Event.Outcome, &d.Source.IP,
		&d.User.Email, &d.User.ID, &d.User.Name, &d.User.Target.Email, &d.User.Target.ID}
}

// pgColKey is one wanted key of an object: kind 's' a string field (str
// numbers it), 'o' an object at level sub, 'n' the status code.
type pgColKey struct {
	name string
	kind byte
	str  uint8
	sub  pgColLevel
}

// pgColKeys is the shape of pgColumnsDoc: the wanted keys of each level.
var pgColKeys = [...][]pgColKey{
	pgLevelTop: {{"@timestamp", 's', pgfTimestamp, 0}, {"event", 'o', 0, pgLevelEvent},
		{"http", 'o', 0, pgLevelHTTP}, {"source", 'o', 0, pgLevelSource}, {"user", 'o', 0, pgLevelUser}},
	pgLevelEvent:    {{"action", 's', pgfAction, 0}, {"id", 's', pgfID, 0}, {"outcome", 's', pgfOutcome, 0}},
	pgLevelHTTP:     {{"response", 'o', 0, pgLevelResponse}},
	pgLevelResponse: {{"status_code", 'n', 0, 0}},
	pgLevelSource:   {{"ip", 's', pgfSourceIP, 0}},
	pgLevelUser: {{"email", 's', pgfEmail, 0}, {"id", 's', pgfUserID, 0}, {"name", 's', pgfName, 0},
		{"target", 'o', 0, pgLevelTarget}},
	pgLevelTarget: {{"email", 's', pgfTargetEmail, 0}, {"id", 's', pgfTargetID, 0}},
}

// pgColField says what a key at level is (kind, str and sub as pgColKey
// has them; kind 0: not wanted). bit tells repeated keys apart within one
// object: 1 << the key's place in pgColKeys[level].
func pgColField(level pgColLevel, key []byte) (kind byte, str uint8, sub pgColLevel, bit uint16) {
	for i, k := range pgColKeys[level] {
		if string(key) == k.name {
			return k.kind, k.str, k.sub, 1 << i
		}
	}
	return 0, 0, 0, 0
}

// object scans an object at s.i into d's fields of level.
func (s *pgColScanner) object(level pgColLevel, depth int) bool {
	if depth >= pgColMaxDepth || s.i >= len(s.data) || s.data[s.i] != '{' {
		return false
	}
	s.i++
	s.ws()
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
		return true
	}
	var seen uint16
	for {
		start, end, plain, ascii, ok := s.str()
		if !ok {
			return false
		}
		s.ws()
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			return false
		}
		s.i++
		s.ws()
		if level == pgLevelSkip {
			if !s.value(depth + 1) {
				return false
			}
		} else {
			key := s.data[start:end]
			if !plain || !ascii || pgHasUpper(key) {
				// encoding/json matches keys case-insensitively: leave
				// anything that might fold onto a field to it.
				return false
			}
			kind, str, sub, bit := pgColField(level, key)
			if kind != 0 {
				if seen&bit != 0 {
					return false // a repeated field: encoding/json merges or overwrites
				}
				seen |= bit
			}
			switch kind {
			case 0:
				if !s.value(depth + 1) {
					return false
				}
			case 's':
				vs, ve, vplain, vascii, ok := s.str()
				if !ok || !vplain || !vascii && !utf8.Valid(s.data[vs:ve]) {
					return false
				}
				if s.n == len(s.spans) {
					return false
				}
				s.spans[s.n], s.fields[s.n] = [2]int{vs, ve}, str
				s.n++
			case 'o':
				if !s.object(sub, depth+1) {
					return false
				}
			case 'n':
				ns := s.i
				isInt, ok := s.number()
				if !ok || !isInt || s.i-ns > 18 {
					return false
				}
				n, err := strconv.ParseInt(string(s.data[ns:s.i]), 10, 64)
				if err != nil {
					return false
				}
				s.status = int(n)
			}
		}
		if done, ok := s.after('}'); done || !ok {
			return ok
		}
	}
}

// after steps past what follows a member of an object or array: a comma
// (and white space; done false: another member comes) or close (done
// true). ok is false for anything else.
func (s *pgColScanner) after(close byte) (done, ok bool) {
	s.ws()
	if s.i >= len(s.data) {
		return false, false
	}
	switch s.data[s.i] {
	case ',':
		s.i++
		s.ws()
		return false, true
	case close:
		s.i++
		return true, true
	default:
		return false, false
	}
}

func pgHasUpper(b []byte) bool {
	for _, c := range b {
		if c >= 'A' && c <= 'Z' {
			return true
		}
	}
	return false
}

// value scans any JSON value at s.i.
func (s *pgColScanner) value(depth int) bool {
	if s.i >= len(s.data) {
		return false
	}
	switch c := s.data[s.i]; {
	case c == '{':
		return s.object(pgLevelSkip, depth)
	case c == '[':
		return s.array(depth)
	case c == '"':
		_, _, _, _, ok := s.str()
		return ok
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		_, ok := s.number()
		return ok
	}
	return false
}

func (s *pgColScanner) array(depth int) bool {
	if depth >= pgColMaxDepth {
		return false
	}
	s.i++ // '['
	s.ws()
	if s.i < len(s.data) && s.data[s.i] == ']' {
		s.i++
		return true
	}
	for {
		if !s.value(depth + 1) {
			return false
		}
		if done, ok := s.after(']'); done || !ok {
			return ok
		}
	}
}

func (s *pgColScanner) literal(lit string) bool {
	if len(s.data)-s.i < len(lit) || string(s.data[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// str scans a string at s.i; start and end bound its content, plain is
// false when it has escapes, ascii false when it has bytes ≥ 0x80.
func (s *pgColScanner) str() (start, end int, plain, ascii, ok bool) {
	if s.i >= len(s.data) || s.data[s.i] != '"' {
		return 0, 0, false, false, false
	}
	s.i++
	start, plain, ascii = s.i, true, true
	for s.i < len(s.data) {
		// Most bytes are plain: pass over them with the index in a
		// register.
		j, d := s.i, s.data
		for j < len(d) && pgStrPlain[d[j]] {
			j++
		}
		s.i = j
		if j == len(d) {
			break
		}
		c := d[j]
		switch {
		case c == '"':
			end = s.i
			s.i++
			return start, end, plain, ascii, true
		case c == '\\':
			plain, s.backslash = false, true
			s.i++
			if s.i >= len(s.data) {
				return 0, 0, false, false, false
			}
			switch s.data[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if len(s.data)-s.i < 5 {
					return 0, 0, false, false, false
				}
				for _, h := range s.data[s.i+1 : s.i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return 0, 0, false, false, false
					}
				}
				s.i += 5
			default:
				return 0, 0, false, false, false
			}
		case c < 0x20:
			return 0, 0, false, false, false
		default:
			ascii, s.nonASCII = false, true
			s.i++
		}
	}
	return 0, 0, false, false, false
}

// number scans a JSON number at s.i; isInt is false when it has a
// fraction or an exponent.
func (s *pgColScanner) number() (isInt, ok bool) {
	d := s.data
	if s.i < len(d) && d[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(d) && d[s.i] == '0':
		s.i++
	case s.i < len(d) && d[s.i] >= '1' && d[s.i] <= '9':
		for s.i < len(d) && d[s.i] >= '0' && d[s.i] <= '9' {
			s.i++
		}
	default:
		return false, false
	}
	isInt = true
	if s.i < len(d) && d[s.i] == '.' {
		isInt = false
		s.i++
		if s.i >= len(d) || d[s.i] < '0' || d[s.i] > '9' {
			return false, false
		}
		for s.i < len(d) && d[s.i] >= '0' && d[s.i] <= '9' {
			s.i++
		}
	}
	if s.i < len(d) && (d[s.i] == 'e' || d[s.i] == 'E') {
		isInt = false
		s.i++
		if s.i < len(d) && (d[s.i] == '+' || d[s.i] == '-') {
			s.i++
		}
		if s.i >= len(d) || d[s.i] < '0' || d[s.i] > '9' {
			return false, false
		}
		for s.i < len(d) && d[s.i] >= '0' && d[s.i] <= '9' {
			s.i++
		}
	}
	return isInt, true
}
