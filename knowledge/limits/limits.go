// Package limits holds the input size limits every reader of untrusted input enforces, and
// the one way an error quotes a bad value: at most QuoteRunes characters of it, so a huge
// rejected value is never printed, logged or stored whole.
package limits

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// Input size limits (documented in the README under "Input limits").
const (
	DataFileBytes = 64 << 20  // one KPI data file (CSV or JSON)
	DataLineBytes = 64 << 10  // one CSV record (one line, or several inside quotes)
	DataRows      = 1_000_000 // values in one data file
	FieldBytes    = 1 << 10   // one CSV field or JSON value: a period, a metric name, a number, a dimension
	ProfileBytes  = 1 << 20   // company.yaml
	DocumentBytes = 4 << 20   // one knowledge document (Markdown or text)
	MessageRunes  = 4000      // one chat message: a question or an answer
	QuoteRunes    = 80        // how much of a bad value an error message quotes
)

// Quote is s as an error message shows it: quoted, at most QuoteRunes characters, with
// the total length said when it was cut.
func Quote(s string) string {
	if utf8.RuneCountInString(s) <= QuoteRunes {
		return strconv.Quote(s)
	}
	r := []rune(s)
	return strconv.Quote(string(r[:QuoteRunes])) + fmt.Sprintf("… (%d characters)", len(r))
}

// Cut is s cut to QuoteRunes characters (with "…"), for names shown unquoted.
func Cut(s string) string {
	if utf8.RuneCountInString(s) <= QuoteRunes {
		return s
	}
	return string([]rune(s)[:QuoteRunes]) + "…"
}

// Size formats a byte limit for people: "64 MiB", "64 KiB", "512 bytes".
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// ErrTooLarge matches (errors.Is) every error of an input past a limit.
var ErrTooLarge = errors.New("input too large")

type tooLarge struct{ msg string }

func (t tooLarge) Error() string        { return t.msg }
func (t tooLarge) Is(target error) bool { return target == ErrTooLarge }

// TooLarge is an error saying msg that matches ErrTooLarge.
func TooLarge(msg string) error { return tooLarge{msg} }

// Reader passes at most Max bytes of R through; reading more fails with an error wrapping
// ErrTooLarge that names what and the limit, so a reader stops in bounded memory.
type Reader struct {
	R    io.Reader
	Max  int64
	What string // "the data file", "company.yaml"
	n    int64
}

func (l *Reader) Read(p []byte) (int, error) {
	if room := l.Max + 1 - l.n; int64(len(p)) > room {
		p = p[:room] // one byte past Max tells a file of exactly Max bytes from a longer one
	}
	k, err := l.R.Read(p)
	l.n += int64(k)
	if l.n > l.Max {
		return 0, TooLarge(fmt.Sprintf("%s is larger than %s, the limit: split it or keep fewer periods in it", l.What, Size(l.Max)))
	}
	return k, err
}

// ReadAll reads all of r, at most max bytes.
func ReadAll(r io.Reader, max int64, what string) ([]byte, error) {
	return io.ReadAll(&Reader{R: r, Max: max, What: what})
}
