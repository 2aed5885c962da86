package record

import (
	"time"
)

// DocTime reads the leading @timestamp of a canonical document
// (2006-01-02T15:04:05.000000Z at a fixed offset); zero when the document
// does not start with one.
func DocTime(data []byte) time.Time {
	const pre = `{"@timestamp":"`
	n := len(pre) + len(TimeLayout)
	if len(data) < n+1 || string(data[:len(pre)]) != pre || data[n] != '"' {
		return time.Time{}
	}
	b := data[len(pre):n]
	num := func(i, w int) int {
		v := 0
		for _, c := range b[i : i+w] {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	if b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[19] != '.' || b[26] != 'Z' {
		return time.Time{}
	}
	y, mo, d, h, mi, s, us := num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2), num(20, 6)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 || us < 0 {
		return time.Time{}
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, us*1000, time.UTC)
}
