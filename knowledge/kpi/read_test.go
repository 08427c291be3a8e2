package kpi_test

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/metric"
)

func res() *metric.Resolver {
	return metric.NewResolver(map[string][]string{"leads": {"contatti"}})
}

func load(t *testing.T, name, data string) (*kpi.Dataset, error) {
	t.Helper()
	rows, err := kpi.Read(name, strings.NewReader(data), res())
	if err != nil {
		return nil, err
	}
	return kpi.Build(rows)
}

func TestReadForms(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ name, data string }{
		"long csv":      {"k.csv", "period,metric,value\n2026-09,leads,60\n2026-10,leads,78\n2026-10,ad_spend,1850\n"},
		"wide csv":      {"k.csv", "period,leads,ad_spend\n2026-09,60,\n2026-10,78,1850\n"},
		"semicolon csv": {"k.csv", "periodo;contatti;ad_spend\n2026-09;60;\n2026-10;78;1850\n"},
		"long json":     {"k.json", `[{"period":"2026-09","metric":"leads","value":60},{"period":"2026-10","metric":"leads","value":78},{"period":"2026-10","metric":"ad_spend","value":"1850"}]`},
		"wide json":     {"k.json", `[{"period":"2026-09","leads":60},{"period":"2026-10","contatti":78,"ad_spend":1850}]`},
		"sniffed json":  {"export", `[{"period":"2026-09","leads":60},{"period":"2026-10","leads":78,"ad_spend":1850}]`},
		"breakdown sum": {"k.csv", "period,metric,value,source\n2026-09,leads,60,google\n2026-10,leads,50,google\n2026-10,leads,28,fb\n2026-10,ad_spend,1850,\n"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ds, err := load(t, tt.name, tt.data)
			require.NoError(t, err)
			require.Equal(t, 2, ds.Len())
			v, ok := ds.Value(1, "leads")
			require.True(t, ok)
			require.Equal(t, 78.0, v)
			cpl, ok := ds.Value(1, "cost_per_lead")
			require.True(t, ok, "derived metric")
			require.InDelta(t, 1850.0/78, cpl, 1e-9)
		})
	}
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ name, data, want string }{
		"empty file":       {"k.csv", "", "k.csv: file is empty"},
		"header only":      {"k.csv", "period,metric,value\n", "k.csv: no data rows"},
		"missing column":   {"k.csv", "period,metric\n2026-10,leads\n", "k.csv:1: missing column value"},
		"no period column": {"k.csv", "month_name,leads\nOct,5\n", "k.csv:1: missing column period"},
		"non numeric":      {"k.csv", "period,metric,value\n2026-09,leads,60\n2026-10,leads,lots\n", `k.csv:3: metric leads: value "lots" is not a number`},
		"thousands sep":    {"k.csv", "period,leads\n2026-10,1.234\n", `k.csv:2: column leads: value "1.234" could be 1234 (. groups thousands`},
		"bad period":       {"k.csv", "period,leads\nottobre,5\n", `k.csv:2: period "ottobre" is not a period whybot reads: write 2026-01`},
		"bad week":         {"k.csv", "period,leads\n2026-W54,5\n", `k.csv:2: period "2026-W54"`},
		"duplicate":        {"k.csv", "period,metric,value\n2026-10,leads,5\n2026-10,contatti,6\n", "k.csv:3: duplicate row: 2026-10 leads was already given at k.csv:2"},
		"mixed grains":     {"k.csv", "period,leads\n2026-10,5\n2026-10-02,6\n", "k.csv:3: period 2026-10-02 is a day but k.csv:2 is a month"},
		"ragged row":       {"k.csv", "period,leads\n2026-10,5,7\n", "k.csv:2: row has 3 fields, the header has 2"},
		"json not array":   {"k.json", `{"period":"2026-10"}`, "k.json:1: expected a JSON array"},
		"json bad value":   {"k.json", "[\n{\"period\":\"2026-09\",\"leads\":1},\n{\"period\":\"2026-10\",\"leads\":\"many\"}\n]", `k.json:3: column leads: value "many" is not a number`},
		"json broken":      {"k.json", "[{\"period\":\"2026-10\",", "k.json:1: invalid JSON"},
		// a file cut in the middle of a quoted field panicked the reader (and crash-looped serve)
		"truncated quote": {"k.csv", "period,leads\n2026-09,5\n\"2026-10,7", `k.csv:3: extraneous or missing " in quoted-field`},
		"long field":      {"k.csv", "period,leads\n2026-10," + strings.Repeat("9", 2000) + "\n", `k.csv:2: field 2 is longer than 1 KiB: "99999`},
		"long header":     {"k.csv", "period," + strings.Repeat("x", 2000) + "\n2026-10,5\n", "k.csv:1: column 2's name is longer than 1 KiB"},
		"json long value": {"k.json", `[{"period":"2026-10","leads":"` + strings.Repeat("1", 2000) + `"}]`, "k.json:1: a value is longer than 1 KiB"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ds, err := load(t, tt.name, tt.data)
			require.Nil(t, ds, "nothing is half-imported")
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// TestReadLimits feeds inputs far past the limits: each is refused with file:line and the
// limit, in bounded memory, and the message quotes at most 80 characters of the value. It
// does not run in parallel: the bytes allocated are counted for the whole process.
func TestReadLimits(t *testing.T) {
	huge := func(n int) string { return strings.Repeat("7", n) }
	tests := map[string]struct {
		name  string
		r     io.Reader
		want  string
		alloc uint64 // bytes allocated at most, all told
	}{
		"100 MB field":       {"k.csv", io.MultiReader(strings.NewReader("period,leads\n2026-10,"), strings.NewReader(huge(100<<20))), "k.csv:2: a row is longer than 64 KiB", 20 << 20},
		"100 MB quoted":      {"k.csv", io.MultiReader(strings.NewReader("period,leads\n2026-10,\""), strings.NewReader(strings.Repeat("7\n", 50<<20))), "k.csv:2: a row is longer than 64 KiB (is a quote left open?)", 20 << 20},
		"file over 64 MiB":   {"k.csv", io.MultiReader(strings.NewReader("period,leads\n2026-10,5\n"), strings.NewReader(strings.Repeat("\n", 65<<20))), "the file is larger than 64 MiB", 20 << 20},
		"too many values":    {"k.csv", wide(60, 17000), "k.csv:16669: more than 1000000 values in one file", 1100 << 20},                                                                                                    // all told, as the rows grow: a reader of unknown size cannot size them once
		"100 MB json number": {"k.json", io.MultiReader(strings.NewReader(`[{"period":"2026-10","leads":`), strings.NewReader(huge(100<<20)), strings.NewReader("}]")), "k.json: the file is larger than 64 MiB", 450 << 20}, // read whole: the buffer doubles up to the limit
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			rows, err := kpi.Read(tt.name, tt.r, res())
			runtime.ReadMemStats(&after)
			require.Nil(t, rows)
			require.ErrorContains(t, err, tt.want)
			require.Less(t, len(err.Error()), 400, "the error quotes a short part of the value")
			require.Less(t, after.TotalAlloc-before.TotalAlloc, tt.alloc, "read in bounded memory")
		})
	}
}

// wide is a wide-form file of n metric columns and rows days.
func wide(n, rows int) io.Reader {
	var b strings.Builder
	b.WriteString("period")
	for i := range n {
		fmt.Fprintf(&b, ",m%d", i)
	}
	b.WriteString("\n")
	for d := range rows {
		b.WriteString(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d).Format("2006-01-02"))
		b.WriteString(strings.Repeat(",1", n))
		b.WriteString("\n")
	}
	return strings.NewReader(b.String())
}

func TestPeriods(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"2026-10": "October 2026", "2026-W07": "week 7 of 2026", "2026-10-03": "3 October 2026", "2020-W53": "week 53 of 2020"} {
		p, err := kpi.ParsePeriod(in)
		require.NoError(t, err)
		require.Equal(t, in, p.String())
		require.Equal(t, want, p.Label("en"))
	}
	p, _ := kpi.ParsePeriod("2026-12")
	require.Equal(t, "2027-01", p.Next().String())
	require.Equal(t, "dicembre 2026", p.Label("it"))
}

// fuzzRead checks that no input panics the reader of a format, and that accepted input
// is consistent: rows, a dataset whose periods are in order.
func fuzzRead(f *testing.F, name string, seeds []string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		rows, err := kpi.Read(name, bytes.NewReader([]byte(data)), res())
		if err != nil {
			require.Nil(t, rows)
			require.NotEmpty(t, err.Error())
			require.Less(t, len(err.Error()), 64<<10, "errors quote short parts of the input")
			return
		}
		require.NotEmpty(t, rows)
		ds, err := kpi.Build(rows)
		if err != nil {
			return
		}
		for i := 1; i < ds.Len(); i++ {
			require.True(t, ds.Periods[i-1].Before(ds.Periods[i]), fmt.Sprint(ds.Periods))
		}
	})
}

// FuzzReadCSV fuzzes the CSV reader.
func FuzzReadCSV(f *testing.F) {
	fuzzRead(f, "f.csv", []string{
		"period,metric,value\n2026-09,leads,60\n2026-10,leads,78\n",
		"period,leads,ad_spend\n2026-09,60,1800\n2026-10,78,1850\n",
		"periodo;contatti\n2026-W40;5\n2026-W41;7\n",
		"period,metric,value,source\n2026-10-01,leads,5,fb\n2026-10-02,leads,6,Facebook\n",
		"period,leads\n2026-10,\"1,5\"\n", "", "\ufeffperiod,leads\n2026-10,5%\n",
		"period,leads\n2026-09,5\n\"2026-10,7", // a truncated quoted field: it panicked the reader
	})
}

// FuzzReadJSON fuzzes the JSON reader.
func FuzzReadJSON(f *testing.F) {
	fuzzRead(f, "f.json", []string{
		`[{"period":"2026-10","metric":"leads","value":5}]`,
		`[{"period":"2026-09","leads":60},{"period":"2026-10","contatti":78,"ad_spend":1850}]`,
		`[{"period":"2026-10","leads":1e400}]`, `[{"period":"2026-10","leads":"12,5%"}]`, `[{"period":null}]`, `[[]]`, `{}`,
		"[\n{\"period\":\"2026-09\",\"leads\":1},\n{\"period\":\"2026-10\",\"leads\":\"many\"}\n]",
	})
}

// BenchmarkLoad100k reads and validates a 100,000-row long-form CSV.
func BenchmarkLoad100k(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("period,metric,value,channel,segment,campaign,source,medium\n")
	n := 0
	for d := 0; n < 100_000; d++ {
		day := fmt.Sprintf("%04d-%02d-%02d", 2020+d/336, 1+(d/28)%12, 1+d%28)
		for c := 0; c < 20 && n < 100_000; c++ {
			fmt.Fprintf(&buf, "%s,leads,%d,ch%d,seg,camp%d,src%d,cpc\n", day, 10+c, c%5, c, c)
			n++
		}
	}
	data := buf.Bytes()
	r := res()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rows, err := kpi.Read("big.csv", bytes.NewReader(data), r)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := kpi.Build(rows); err != nil {
			b.Fatal(err)
		}
	}
}
