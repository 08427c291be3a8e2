package kpi

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
	"unique"

	"github.com/whybot/whybot/knowledge/limits"
	"github.com/whybot/whybot/knowledge/metric"
)

// Dimensions of a breakdown row; all empty for a total.
type Dims struct {
	Channel  string `json:"channel,omitempty"`
	Segment  string `json:"segment,omitempty"`
	Campaign string `json:"campaign,omitempty"`
	Source   string `json:"source,omitempty"`
	Medium   string `json:"medium,omitempty"`
}

// Empty reports whether the row is a total.
func (d Dims) Empty() bool { return d == Dims{} }

// Get returns one dimension by name.
func (d Dims) Get(name string) string {
	switch name {
	case "channel":
		return d.Channel
	case "segment":
		return d.Segment
	case "campaign":
		return d.Campaign
	case "source":
		return d.Source
	case "medium":
		return d.Medium
	}
	return ""
}

var dimNames = []string{"channel", "segment", "campaign", "source", "medium"}

// Set sets one dimension by name (channel, segment, campaign, source, medium).
func (d *Dims) Set(name, v string) { d.set(name, v) }

func (d *Dims) set(name, v string) {
	v = strings.TrimSpace(v)
	if v != "" {
		v = unique.Make(v).Value() // one copy of each channel name, not a hold on every line read
	}
	switch name {
	case "channel":
		d.Channel = v
	case "segment":
		d.Segment = v
	case "campaign":
		d.Campaign = v
	case "source":
		d.Source = v
	case "medium":
		d.Medium = v
	}
}

// PulledFile is the File a row pulled from a declared source carries: "source:NAME".
func PulledFile(name string) string { return "source:" + name }

// PulledFrom is the source a row's File names, if the row was pulled from one.
func PulledFrom(file string) (string, bool) {
	const p = "source:"
	if len(file) > len(p) && file[:len(p)] == p {
		return file[len(p):], true
	}
	return "", false
}

// Row is one value read from a data file.
type Row struct {
	Period Period
	Metric string
	Value  float64
	Dims   Dims
	File   string
	Line   int
}

// Problem is one thing wrong in a data file, at a line.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// Error lists every problem found; a file with any problem is rejected whole.
type Error struct {
	Problems []Problem
	// Read is set when every file was read to its end despite its problems; Metrics are
	// then the metric ids of every row that could be read, so that a profile naming a
	// metric none of the files has can still be told in the same run.
	Read    bool
	Metrics []string
}

// readToEnd marks a file read to its end and keeps the metrics its good rows named.
func (e *Error) readToEnd(rows []Row) *Error {
	e.Read = true
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r.Metric] {
			seen[r.Metric] = true
			e.Metrics = append(e.Metrics, r.Metric)
		}
	}
	return e
}

const maxProblems = 20

func (e *Error) Error() string {
	lines := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		lines = append(lines, p.String())
	}
	return strings.Join(lines, "\n")
}

func (e *Error) add(file string, line int, format string, args ...any) bool {
	for i, a := range args {
		if s, ok := a.(string); ok && len(s) > 4*limits.QuoteRunes+40 {
			args[i] = limits.Cut(s) // never print a huge value whole
		}
	}
	e.Problems = append(e.Problems, Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
	return len(e.Problems) >= maxProblems
}

func (e *Error) err() error {
	if len(e.Problems) == 0 {
		return nil
	}
	return e
}

// ReadFile reads a CSV or JSON data file (chosen by extension, else by content).
func ReadFile(path string, res *metric.Resolver, opt Options) ([]Row, error) {
	rows, _, err := readFile(path, res, opt)
	return rows, err
}

// readFile is ReadFile with the units the file's cells were written in.
func readFile(path string, res *metric.Resolver, opt Options) ([]Row, Units, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open data file: %w", err)
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	if size > limits.DataFileBytes { // refused before a byte is read
		return nil, nil, &Error{Problems: []Problem{{File: path, Msg: fmt.Sprintf("the file is larger than %s, the limit: split it by year, or export fewer columns", limits.Size(limits.DataFileBytes))}}}
	}
	return readWith(path, f, res, opt, size)
}

// Read parses data from r with no locale stated; name is used in error messages and to
// pick the format.
func Read(name string, r io.Reader, res *metric.Resolver) ([]Row, error) {
	return ReadWith(name, r, res, Options{})
}

// ReadWith parses data from r as opt says.
func ReadWith(name string, r io.Reader, res *metric.Resolver, opt Options) ([]Row, error) {
	rows, _, err := readWith(name, r, res, opt, 0)
	return rows, err
}

// readWith is ReadWith knowing the file's size (0: unknown), to size the rows once.
func readWith(name string, r io.Reader, res *metric.Resolver, opt Options, size int64) ([]Row, Units, error) {
	br := bufio.NewReaderSize(&limits.Reader{R: r, Max: limits.DataFileBytes, What: "the file"}, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\ufeff")) {
		br.Discard(3) // Excel's UTF-8 mark, before a # preamble too
	}
	ext := strings.ToLower(filepath.Ext(name))
	head, _ := br.Peek(512)
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		ext = ".xlsx" // a zip: a workbook, whatever its name
	case ext == ".xlsx":
		return nil, nil, &Error{Problems: []Problem{{File: name, Msg: "not an .xlsx workbook (it is not a zip file): save it again as Excel Workbook (.xlsx) or export CSV"}}}
	case bytes.HasPrefix(head, []byte("\xff\xfe")) || bytes.HasPrefix(head, []byte("\xfe\xff")):
		return nil, nil, &Error{Problems: []Problem{{File: name, Msg: "UTF-16 text (Google Ads' \"CSV for Excel\"): download it as plain CSV, or save it again as CSV UTF-8"}}}
	case bytes.IndexByte(head, 0) >= 0:
		return nil, nil, &Error{Problems: []Problem{{File: name, Msg: "a binary file, not text: export the report as CSV (UTF-8), JSON or .xlsx"}}}
	case !utf8.Valid(head[:utf8Prefix(head)]):
		return nil, nil, &Error{Problems: []Problem{{File: name, Msg: "not UTF-8 text (Excel's \"CSV\" on Windows writes Windows-1252): save it again as \"CSV UTF-8\" or as .xlsx"}}}
	}
	if ext != ".csv" && ext != ".json" && ext != ".xlsx" {
		// sniff
		if t := bytes.TrimLeft(head, " \t\r\n\ufeff"); len(t) > 0 && (t[0] == '[' || t[0] == '{') {
			ext = ".json"
		} else {
			ext = ".csv"
		}
	}
	if opt.Locale != "" && opt.Locale != LocaleIT && opt.Locale != LocaleEN {
		return nil, nil, &Error{Problems: []Problem{{File: name, Msg: fmt.Sprintf("locale %s is not one whybot reads: use it (1.250,5) or en (1,250.5)", limits.Quote(opt.Locale))}}}
	}
	cols, err := opt.mapping()
	if err != nil {
		return nil, nil, &Error{Problems: []Problem{{File: name, Msg: err.Error()}}}
	}
	num := &numbers{Options: opt, columns: cols, size: size, name: name}
	var rows []Row
	switch ext {
	case ".json":
		rows, err = readJSON(name, br, res, num)
	case ".xlsx":
		rows, err = readXLSX(name, br, res, num)
	default:
		rows, err = readCSV(name, br, res, num)
	}
	if err != nil {
		return nil, nil, err
	}
	e := &Error{}
	num.check.problems(name, opt, e)
	num.units.problems(opt.Currency, opt.CurrencyWhere, e)
	if e.err() != nil {
		return nil, nil, e.readToEnd(rows)
	}
	return rows, num.units.units(), nil
}

type columns struct {
	period, metric, value int
	periodEnd             int // -1 unless the period is a range in two columns
	hint                  hint
	dims                  map[string]int // dim name → column
	wide                  map[int]string // column → metric id (wide form)
}

func parseHeader(name string, hl int, header []string, res *metric.Resolver, mapping colMap, e *Error) (columns, bool) {
	c := columns{period: -1, periodEnd: -1, metric: -1, value: -1, dims: map[string]int{}, wide: map[int]string{}}
	seen := map[string]int{}
	for i, h := range header {
		if len(h) > limits.FieldBytes {
			e.add(name, hl, "column %d's name is longer than %s: %s", i+1, limits.Size(limits.FieldBytes), limits.Quote(h))
			continue
		}
		key := metric.Normalize(strings.TrimPrefix(h, "\ufeff"))
		if key == "" {
			e.add(name, hl, "column %d has an empty name: every column needs a header", i+1)
			continue
		}
		if j, dup := seen[key]; dup {
			e.add(name, hl, "column %s appears twice (columns %d and %d)", limits.Quote(h), j+1, i+1)
			continue
		}
		seen[key] = i
		if target, ok := mapping.m[key]; ok && c.mapped(i, key, target, res) {
			continue
		}
		ph, isPeriod := periodColumns[key]
		switch {
		case isPeriod && c.period < 0:
			c.period, c.hint = i, ph
			continue
		case isPeriod:
			continue // a second date column
		}
		switch key {
		case "metric", "metrica", "kpi":
			c.metric = i
		case "value", "valore":
			c.value = i
		case "channel", "canale", "segment", "segmento", "campaign", "campagna", "source", "fonte", "utm_source", "medium", "mezzo", "utm_medium":
			c.dims[canonicalDim(key)] = i
		default:
			if mapping.only {
				continue // a preset export's other columns
			}
			id, _ := res.Resolve(h)
			c.wide[i] = id
		}
	}
	if c.period < 0 {
		e.add(name, hl, "missing column period: the first row must be a header such as period,metric,value (long form) or period,leads,ad_spend,… (wide form)")
	}
	long := c.metric >= 0 || c.value >= 0
	if long {
		if c.metric < 0 {
			e.add(name, hl, "missing column metric: a long-form file has the columns period,metric,value")
		}
		if c.value < 0 {
			e.add(name, hl, "missing column value: a long-form file has the columns period,metric,value")
		}
		if len(c.wide) > 0 {
			var extra []string
			for i := range c.wide {
				extra = append(extra, header[i])
			}
			sort.Strings(extra)
			e.add(name, hl, "unexpected columns %s in a long-form file: use period,metric,value[,channel,segment,campaign,source,medium]", strings.Join(extra, ", "))
		}
	} else if len(c.wide) == 0 && c.period >= 0 {
		e.add(name, hl, "no metric columns: add columns named after metrics (leads, ad_spend, …) or use period,metric,value")
	}
	return c, len(e.Problems) == 0
}

func canonicalDim(k string) string {
	switch k {
	case "canale":
		return "channel"
	case "segmento":
		return "segment"
	case "campagna":
		return "campaign"
	case "fonte", "utm_source":
		return "source"
	case "mezzo", "utm_medium":
		return "medium"
	}
	return k
}

func readCSV(name string, r *bufio.Reader, res *metric.Resolver, num *numbers) ([]Row, error) {
	e := &Error{}
	first, err := r.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(bytes.TrimSpace(bytes.TrimPrefix(first, []byte("\ufeff")))) == 0 {
		e.add(name, 0, "file is empty: expected a header row (period,metric,value or period,<metric>,…) and data rows")
		return nil, e
	}
	rec := &recordLimit{r: r, max: limits.DataLineBytes}
	cr := csv.NewReader(rec)
	cr.Comma = delimiter(first) // comma, or semicolon (Italian spreadsheets), or tab ("CSV for Excel")
	cr.Comment = '#'            // the preamble of GA4 and Looker Studio exports
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return readTable(name, &csvTable{cr: cr, lim: rec}, res, num)
}

// utf8Prefix is the length of head without a rune cut at its end.
func utf8Prefix(head []byte) int {
	n := len(head)
	for i := 0; i < 3 && n-i > 0; i++ {
		if utf8.RuneStart(head[n-i-1]) {
			if !utf8.FullRune(head[n-i-1:]) {
				return n - i - 1
			}
			break
		}
	}
	return n
}

// table is a file's records, one at a time: a CSV's or a sheet's rows.
type table interface {
	// next returns the next record and its line, io.EOF at the end; an error stops the
	// read when it is limits.ErrTooLarge and is reported at its line otherwise.
	next() ([]string, int, error)
	// offset is how many bytes of the file were read so far (0: not known).
	offset() int64
}

// presizeAfter is how many records are read before the rows are sized for the whole file.
const presizeAfter = 64

// presize grows rows once to what the whole file will likely hold, judging by the rows
// the first records gave and how much of the file they took, so that a large file is not
// copied again and again as it is read.
func presize(rows []Row, read, size int64) []Row {
	if read <= 0 || size <= read {
		return rows
	}
	est := int(float64(len(rows)) * float64(size) / float64(read) * 1.05)
	est = min(est, limits.DataRows)
	if est > cap(rows) {
		rows = slices.Grow(rows, est-len(rows))
	}
	return rows
}

type csvTable struct {
	cr  *csv.Reader
	lim *recordLimit
}

func (t *csvTable) offset() int64 { return t.cr.InputOffset() }

func (t *csvTable) next() ([]string, int, error) {
	t.lim.start(t.cr.InputOffset())
	fields, err := t.cr.Read()
	var pe *csv.ParseError
	switch {
	case errors.Is(err, limits.ErrTooLarge):
		line, _ := t.cr.FieldPos(0)
		return nil, line, err
	case errors.As(err, &pe):
		return nil, pe.Line, errors.New(csvMsg(err))
	case err != nil:
		return nil, 0, err
	}
	line, _ := t.cr.FieldPos(0)
	return fields, line, nil
}

// readTable finds the header (under any title lines), then reads every record.
func readTable(name string, t table, res *metric.Resolver, num *numbers) ([]Row, error) {
	e := &Error{}
	header, hl, err := t.next()
	if errors.Is(err, io.EOF) {
		e.add(name, 0, "no header row: the file has no rows")
		return nil, e
	}
	if err != nil {
		if errors.Is(err, limits.ErrTooLarge) {
			return nil, withLine(e, name, 1, err)
		}
		e.add(name, max(hl, 1), "cannot read the header: %v", err)
		return nil, e
	}
	firstHeader, firstLine := append([]string(nil), header...), hl
	header = firstHeader
	for skipped := 0; !hasPeriodColumn(header, num.columns) && skipped < maxPreamble; skipped++ {
		// a report title or date range above the header (Google Ads, Search Console)
		next, line, err := t.next()
		if err != nil {
			break
		}
		header, hl = append([]string(nil), next...), line
	}
	if !hasPeriodColumn(header, num.columns) {
		header, hl = firstHeader, firstLine // report the problems of the first line
	}
	if num.Preset == PresetHubSpotContacts {
		return readContacts(name, t, header, hl, num) // one row per contact, counted
	}
	cols, ok := parseHeader(name, hl, header, res, num.columns, e)
	if !ok {
		return nil, e
	}
	rows := make([]Row, 0, 1024)
	n := 0
	err = eachRecord(name, t, e, func(fields []string, line int) bool {
		if n++; n == presizeAfter && num.size > 0 {
			rows = presize(rows, t.offset(), num.size)
		}
		if num.ragged && len(fields) < len(header) {
			fields = append(fields, make([]string, len(header)-len(fields))...) // a sheet leaves trailing empty cells out
		}
		if len(fields) != len(header) {
			return e.add(name, line, "row has %d fields, the header has %d", len(fields), len(header))
		}
		return addRecord(name, line, fields, cols, res, num, &rows, e)
	})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 && len(e.Problems) == 0 {
		e.add(name, 0, "no data rows after the header")
	}
	if e.err() != nil {
		return nil, e.readToEnd(rows)
	}
	return rows, nil
}

// eachRecord calls fn with each record of t that is not blank, and its line, until the end
// of the file or until fn or a record's problem says to stop (the problems are in e); an
// error is returned when the read stopped before the end.
func eachRecord(name string, t table, e *Error, fn func(fields []string, line int) (stop bool)) error {
	for {
		fields, line, err := t.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if errors.Is(err, limits.ErrTooLarge) {
			return withLine(e, name, line, err)
		}
		if err != nil {
			if e.add(name, line, "%v", err) {
				return e
			}
			continue
		}
		if !blank(fields) && fn(fields, line) {
			return e
		}
	}
}

// blank reports whether a record has no text at all.
func blank(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// maxPreamble is how many lines above the header a file may have besides # comments.
const maxPreamble = 10

// delimiter is the separator of a CSV, judged on its first lines that are neither blank
// nor # comments: the one that splits the most of them into the same number of fields
// (two or more), quotes respected; a title line above the header does not count against
// it. With none, the comma.
func delimiter(head []byte) rune {
	var lines [][]byte
	for len(head) > 0 && len(lines) <= maxPreamble+5 {
		line, rest, _ := bytes.Cut(head, []byte("\n"))
		head = rest
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			lines = append(lines, line)
		}
	}
	if len(lines) > 1 && len(head) > 0 {
		lines = lines[:len(lines)-1] // the last may be cut in the middle
	}
	best, bestScore := ',', 0
	// on a tie the semicolon or the tab wins: both splitting alike means the commas are
	// inside the values (1.250,50), as Italian spreadsheets write them
	for _, sep := range []rune{';', '\t', ','} {
		counts := map[int]int{}
		for _, l := range lines {
			if n := fieldCount(l, byte(sep)); n > 1 {
				counts[n]++
			}
		}
		score := 0 // the most lines that share one field count
		for _, c := range counts {
			score = max(score, c)
		}
		if score > bestScore {
			best, bestScore = sep, score
		}
	}
	return best
}

// fieldCount is how many fields sep splits a line into, outside double quotes.
func fieldCount(line []byte, sep byte) int {
	n, quoted := 1, false
	for _, c := range line {
		switch {
		case c == '"':
			quoted = !quoted
		case c == sep && !quoted:
			n++
		}
	}
	return n
}

// hasPeriodColumn reports whether a header row names a period column.
func hasPeriodColumn(header []string, mapping colMap) bool {
	for _, h := range header {
		k := metric.Normalize(h)
		if _, ok := periodColumns[k]; ok || mapping.m[k] == ColumnPeriod {
			return true
		}
	}
	return false
}

// recordLimit fails a CSV read that has passed on more than max bytes (line ends aside:
// the CSV reader skips blank lines) since the record being read started, so one endless
// line or quoted field cannot fill the memory. The CSV reader reads ahead by at most its
// buffer, which the limit allows for.
type recordLimit struct {
	r    io.Reader
	max  int64
	n    int64 // bytes other than line ends passed on since the record started
	from int64 // input offset where the current record starts
}

const csvReadAhead = 8 << 10

func (l *recordLimit) start(offset int64) {
	if offset != l.from {
		l.from, l.n = offset, 0
	}
}

func (l *recordLimit) Read(p []byte) (int, error) {
	if l.n > l.max+csvReadAhead {
		return 0, limits.TooLarge(fmt.Sprintf("a row is longer than %s (is a quote left open?)", limits.Size(l.max)))
	}
	k, err := l.r.Read(p)
	l.n += int64(k - bytes.Count(p[:k], []byte("\n")) - bytes.Count(p[:k], []byte("\r")))
	return k, err
}

// withLine adds a size error to the file's problems, at the line where it happened.
func withLine(e *Error, name string, line int, err error) error {
	e.add(name, line, "%v", err)
	return e
}

func csvMsg(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// addRecord turns one record into rows; it reports true when too many problems were found.
func addRecord(name string, line int, rec []string, c columns, res *metric.Resolver, num *numbers, rows *[]Row, e *Error) bool {
	if len(*rows) >= limits.DataRows {
		e.add(name, line, "more than %d values in one file, the limit: split it by year", limits.DataRows)
		return true
	}
	for i, f := range rec {
		if len(f) > limits.FieldBytes {
			return e.add(name, line, "field %d is longer than %s: %s", i+1, limits.Size(limits.FieldBytes), limits.Quote(f))
		}
	}
	if isTotalRow(rec, c) {
		return false
	}
	cell := rec[c.period]
	if num.sheetCells {
		if d, ok := sheetDate(strings.TrimSpace(cell), c.hint); ok {
			cell = d
		}
		if c.periodEnd >= 0 {
			if d, ok := sheetDate(strings.TrimSpace(rec[c.periodEnd]), hintDay); ok {
				rec[c.periodEnd] = d
			}
		}
	}
	if c.periodEnd >= 0 && strings.TrimSpace(rec[c.periodEnd]) != "" {
		cell = strings.TrimSpace(cell) + " - " + strings.TrimSpace(rec[c.periodEnd])
	}
	p, err := num.period(cell, c.hint)
	if err != nil {
		return e.add(name, line, "%v", err)
	}
	var dims Dims
	for dn, i := range c.dims {
		dims.set(dn, rec[i])
	}
	if c.metric >= 0 {
		raw := strings.TrimSpace(rec[c.metric])
		if raw == "" {
			return e.add(name, line, "empty metric name")
		}
		id := num.metric(raw, res)
		v, err := num.read(line, rec[c.value], c.value, id)
		if err != nil {
			return e.add(name, line, "metric %s: %v", limits.Cut(raw), err)
		}
		*rows = append(*rows, Row{Period: p, Metric: id, Value: v, Dims: dims, File: name, Line: line})
		return false
	}
	for i, id := range c.wide {
		cell := strings.TrimSpace(rec[i])
		if noValue(cell) {
			continue // not measured that period
		}
		v, err := num.read(line, cell, i, id)
		if err != nil {
			if e.add(name, line, "column %s: %v", id, err) {
				return true
			}
			continue
		}
		*rows = append(*rows, Row{Period: p, Metric: id, Value: v, Dims: dims, File: name, Line: line})
	}
	return false
}

// numbers reads a file's values in its locale and checks that they share one style.
type numbers struct {
	Options
	check      styleCheck
	units      unitCheck
	name       string // the file, for where a unit was seen
	columns    colMap
	ragged     bool         // rows may leave trailing empty cells out (a sheet)
	sheetCells bool         // cells are as a workbook stores them: numbers and serial dates
	machine    map[int]bool // columns whose cells are JSON numbers (read as written)
	size       int64        // the file's size in bytes, when known
	// what a file repeats on every row, read once: period cells and metric names
	periods map[string]Period
	metrics map[string]string
}

// cacheMax bounds the per-file caches of periods and metric names.
const cacheMax = 4096

func (n *numbers) period(cell string, h hint) (Period, error) {
	if p, ok := n.periods[cell]; ok {
		return p, nil
	}
	p, err := parseExportPeriod(cell, h, n.Locale)
	if err == nil && len(n.periods) < cacheMax {
		if n.periods == nil {
			n.periods = map[string]Period{}
		}
		n.periods[cell] = p
	}
	return p, err
}

func (n *numbers) metric(raw string, res *metric.Resolver) string {
	if id, ok := n.metrics[raw]; ok {
		return id
	}
	id, _ := res.Resolve(raw)
	if len(n.metrics) < cacheMax {
		if n.metrics == nil {
			n.metrics = map[string]string{}
		}
		n.metrics[raw] = id
	}
	return id
}

func (n *numbers) read(line int, cell string, col int, metric string) (float64, error) {
	if v, ok := machineNumber(cell); ok && n.sheetCells {
		return v, nil
	}
	if n.machine[col] {
		v, err := strconv.ParseFloat(strings.TrimSpace(cell), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("value %s is not a number", limits.Quote(cell))
		}
		return v, nil
	}
	r, err := parseNumber(cell, n.Locale)
	if err != nil {
		return 0, err
	}
	n.check.see(line, cell, r)
	n.units.see(n.name, metric, line, r)
	return r.v, nil
}

// lineCounter turns byte offsets that only grow into line numbers, counting each newline
// once (a file of many objects is not counted again from the start for each).
type lineCounter struct {
	data []byte
	off  int
	line int
}

func (c *lineCounter) at(off int64) int {
	o := min(int(off), len(c.data))
	if o < c.off { // an earlier offset: count from the start
		c.off, c.line = 0, 1
	}
	c.line += bytes.Count(c.data[c.off:o], []byte("\n"))
	c.off = o
	return c.line
}

// longToken finds the first string or number in JSON data longer than a field may be: its
// offset and length. It reads strings with their escapes and nothing else.
func longToken(data []byte) (off, n int, ok bool) {
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			j := i + 1
			for j < len(data) && data[j] != '"' {
				if data[j] == '\\' {
					j++
				}
				j++
			}
			if j-i-1 > limits.FieldBytes {
				return i + 1, j - i - 1, true
			}
			i = j
		case c == '-' || c >= '0' && c <= '9':
			j := i
			for j < len(data) && (data[j] >= '0' && data[j] <= '9' || strings.IndexByte("+-.eE", data[j]) >= 0) {
				j++
			}
			if j-i > limits.FieldBytes {
				return i, j - i, true
			}
			i = j - 1
		}
	}
	return 0, 0, false
}

func readJSON(name string, r io.Reader, res *metric.Resolver, num *numbers) ([]Row, error) {
	e := &Error{}
	var data []byte
	var err error
	if num.size > 0 {
		var buf bytes.Buffer
		buf.Grow(int(num.size) + bytes.MinRead) // read once into its size, not doubled up to it
		_, err = buf.ReadFrom(r)
		data = buf.Bytes()
	} else {
		data, err = io.ReadAll(r)
	}
	if errors.Is(err, limits.ErrTooLarge) {
		return nil, withLine(e, name, 0, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		e.add(name, 0, "file is empty: expected a JSON array of objects such as {\"period\":\"2025-10\",\"metric\":\"leads\",\"value\":52}")
		return nil, e
	}
	lines := lineCounter{data: data, line: 1}
	lineAt := lines.at
	if off, n, ok := longToken(data); ok { // before the decoder copies a huge value around
		e.add(name, lineAt(int64(off)), "a value is longer than %s: %q… (%d characters)", limits.Size(limits.FieldBytes), data[off:off+limits.QuoteRunes], n)
		return nil, e
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('[') {
		e.add(name, 1, "expected a JSON array of objects ([{\"period\":…}, …])")
		return nil, e
	}
	var rows []Row
	for n := 0; dec.More(); n++ {
		if n == presizeAfter {
			rows = presize(rows, dec.InputOffset(), int64(len(data)))
		}
		off := dec.InputOffset()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			e.add(name, lineAt(off), "invalid JSON: %v", err)
			return nil, e
		}
		skip := len(data[off:]) - len(bytes.TrimLeft(data[off:], " \t\r\n,"))
		line := lineAt(off + int64(skip))
		header := make([]string, 0, len(obj))
		for k := range obj {
			header = append(header, k)
		}
		sort.Strings(header)
		rec := make([]string, len(header))
		num.machine = map[int]bool{}
		for i, k := range header {
			switch v := obj[k].(type) {
			case string:
				rec[i] = v
			case json.Number:
				rec[i] = v.String()
				num.machine[i] = true
			case nil:
				rec[i] = ""
			default:
				rec[i] = fmt.Sprint(v)
			}
		}
		sub := &Error{}
		cols, ok := parseHeader(name, 1, header, res, num.columns, sub)
		if !ok {
			for _, p := range sub.Problems {
				e.add(name, line, "%s", strings.Replace(p.Msg, "column", "field", 1))
			}
			return nil, e
		}
		if addRecord(name, line, rec, cols, res, num, &rows, e) {
			return nil, e
		}
	}
	if _, err := dec.Token(); err != nil {
		e.add(name, lineAt(dec.InputOffset()), "invalid JSON at the end of the array: %v", err)
	}
	if len(rows) == 0 && len(e.Problems) == 0 {
		e.add(name, 0, "the array has no rows")
	}
	if e.err() != nil {
		return nil, e.readToEnd(rows)
	}
	return rows, nil
}
