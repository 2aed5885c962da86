package record

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sync"
)

// readers pools the line readers (256 KiB each) the scans use.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 256<<10) }}

// ScanLines calls fn for every line of rd (without the newline); the slice
// is only valid during the call.
func ScanLines(rd io.Reader, fn func(n int, line []byte) error) error {
	br := readers.Get().(*bufio.Reader)
	br.Reset(rd)
	defer func() { br.Reset(nil); readers.Put(br) }()
	var long []byte
	n := 0
	for {
		frag, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, frag...)
			continue
		}
		line := frag
		if long != nil {
			line = append(long, frag...)
			long = nil
		}
		if len(line) > 0 && line[len(line)-1] == '\n' {
			line = line[:len(line)-1]
		}
		if errors.Is(err, io.EOF) {
			// A last line without its newline is being appended (or was
			// torn by a crash; the writer cuts it on open): not a line yet.
			return nil
		}
		if err == nil {
			n++
			if ferr := fn(n, line); ferr != nil {
				return ferr
			}
		}
		if err != nil {
			return fmt.Errorf("read audit jsonl: %w", err)
		}
	}
}
