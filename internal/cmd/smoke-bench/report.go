//go:build linux

package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// row is one line of figures: ours, the baseline's, their ratio, and the target.
type row struct {
	section, label string
	ours, base     string // formatted figures
	baseName       string // e.g. "peerjs"; "peerjs*" marks a published figure
	ratio          string
	target         string
	met            bool
}

// printRow writes r in fixed columns. Widths are in runes (fmt pads by code points), so "µs" lines up.
func (e *env) printRow(r row) {
	verdict := "(target " + r.target + ": met)"
	switch {
	case r.target == "":
		verdict = "(no target)" // a figure reported for what it says, such as the warm start
	case !r.met:
		verdict = "(target " + r.target + ": MISSED)"
	}
	fmt.Fprintf(e.out, "%-4s %-38s smoke %-18s %-7s %-18s ratio %-12s %s\n",
		r.section, r.label, r.ours, r.baseName, r.base, r.ratio, verdict)
}

// note writes an indented line under the rows: how a figure came about, or anything odd.
func (e *env) note(format string, args ...any) {
	fmt.Fprintf(e.out, "     "+format+"\n", args...)
}

// thousands formats n rounded to an integer with comma separators: 123,456.
func thousands(n float64) string {
	s := strconv.FormatInt(int64(math.Round(n)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// micros formats a latency in µs, or in ms from 10 ms up.
func micros(d time.Duration) string {
	if d >= 10*time.Millisecond {
		return fmt.Sprintf("%.1f ms", d.Seconds()*1e3)
	}
	return fmt.Sprintf("%d µs", d.Microseconds())
}

// kb formats bytes in KB (1,024 bytes) with one decimal.
func kb(b float64) string { return fmt.Sprintf("%.1f KB", b/1024) }

func ratio(a, b float64) string { return fmt.Sprintf("%.2f", a/b) }
