// Package evals runs scenario cases through the real engine and store: a case names a
// workspace (the sample, or a profile and data files next to it), a list of turns (questions,
// answers as named people, reviewer actions) and expectations per turn: state, rule ids that
// must or must not fire, question topics and to whom, numbers that must appear in the draft,
// words that must not.
//
// A case file is YAML:
//
//	name: leads rise, Italian, low quality and follow-up gap
//	workspace: sample            # or: profile: company.yaml, data: [kpis.csv] (relative to the file)
//	turns:
//	  - as: anna
//	    text: "Perché i lead sono aumentati del 30%?"
//	    expect: {state: awaiting_answers, rules: [lead_quality_unknown], topics: [lead_quality@giulia]}
//	  - as: giulia
//	    text: "solo il 40% è in target, le vendite ne hanno richiamati un quarto"
//	    expect: {state: pending_approval, rules: [lead_quality_low, followup_gap], numbers: ["40%"], must_not: ["the"]}
//	  - approve: luca
//	    expect: {state: posted}
package evals

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/sqlitestore"
	"github.com/whybot/whybot/knowledge/workspace"
)

// Case is one scenario.
type Case struct {
	Name      string   `yaml:"name"`
	Workspace string   `yaml:"workspace"`
	Profile   string   `yaml:"profile"`
	Data      []string `yaml:"data"`
	Turns     []Turn   `yaml:"turns"`
	File      string   `yaml:"-"`
}

// Turn is one step of a case.
type Turn struct {
	As      string `yaml:"as"`
	Text    string `yaml:"text"`
	Lang    string `yaml:"lang"`
	Approve string `yaml:"approve"` // reviewer handle
	Edit    string `yaml:"edit"`    // reviewer handle; Text is the edited answer
	Reject  string `yaml:"reject"`  // reviewer handle
	Reason  string `yaml:"reason"`
	// Pick is a quick answer clicked instead of Text (topic, choice, percent)
	Pick   *conversation.Pick `yaml:"pick"`
	Expect Expect             `yaml:"expect"`
}

// Expect lists what must hold after a turn.
type Expect struct {
	State    string   `yaml:"state"`
	Language string   `yaml:"language"`
	Metric   string   `yaml:"metric"`
	Claimed  *float64 `yaml:"claimed"`
	Rules    []string `yaml:"rules"`
	NotRules []string `yaml:"not_rules"`
	Topics   []string `yaml:"topics"` // topic or topic@handle
	Draft    *bool    `yaml:"draft"`
	Numbers  []string `yaml:"numbers"`  // must appear in the draft
	Contains []string `yaml:"contains"` // phrases that must appear in the draft
	MustNot  []string `yaml:"must_not"` // words that must not appear in the draft
	Refused  bool     `yaml:"refused"`  // the action must be refused
	// what the thread says back to the person who answered
	Readback  []string `yaml:"readback"`   // phrases that must appear in what was read back
	AskedBack []string `yaml:"asked_back"` // topic@handle put again
	Later     bool     `yaml:"later"`      // a reminder is announced
	NoFacts   []string `yaml:"no_facts"`   // topics that must have no fact
	Asks      []string `yaml:"asks"`       // phrases the questions put must contain
	Play      string   `yaml:"play"`       // the play the draft proposes (rules.PlayKind)
	KPI       string   `yaml:"kpi"`        // the decisional KPI its success is judged on
}

// Result is one case's outcome.
type Result struct {
	Case     string
	File     string
	Turns    int
	Failures []string
}

// Report is the outcome of a run.
type Report struct {
	Results []Result
	Passed  int
	Failed  int
	Model   ModelStats // what a language model did, when the run had one
}

// ModelStats counts what a language model did in a run.
type ModelStats struct {
	Read           int            // messages a model was asked to read
	ReadByModel    int            // readings used
	ReadFallbacks  map[string]int // readings not used, by reason (invalid, error, timeout, paused)
	Drafts         int            // drafts written
	DraftsByModel  int            // drafts the model wrote that passed grounding
	Ungrounded     int            // model drafts that failed grounding (each attempt)
	DraftFallbacks map[string]int // drafts left to the rules, by reason (ungrounded, error, …)
}

func (m *ModelStats) count(r conversation.Reply) {
	if r.Read != nil {
		m.Read++
		if r.Read.By == "llm" {
			m.ReadByModel++
		} else {
			m.ReadFallbacks[r.Read.Fallback]++
		}
	}
	if r.Draft == nil || r.Source == nil {
		return
	}
	m.Drafts++
	src := r.Source
	switch {
	case src.Source == "llm":
		m.DraftsByModel++
		m.Ungrounded += src.Attempts - 1
	case src.Fallback != "":
		m.DraftFallbacks[src.Fallback]++
		if src.Fallback == conversation.FallbackUngrounded {
			m.Ungrounded += src.Attempts
		}
	}
}

// Used reports whether a model took part in the run.
func (m ModelStats) Used() bool {
	return m.Read > 0 || m.DraftsByModel > 0 || len(m.DraftFallbacks) > 0
}

// Compare writes a deterministic run next to a run through a language model.
func Compare(w io.Writer, rules, model Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tRULES\tLLM\tFIRST LLM FAILURE")
	for i, res := range model.Results {
		first := ""
		if len(res.Failures) > 0 {
			first = res.Failures[0]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", res.Case, verdict(rules.Results[i]), verdict(res), first)
	}
	tw.Flush()
	total := rules.Passed + rules.Failed
	m := model.Model
	fmt.Fprintf(w, "\npass rate: rules %d/%d (%s), LLM %d/%d (%s)\n", rules.Passed, total, pct(rules.Passed, total), model.Passed, total, pct(model.Passed, total))
	fmt.Fprintf(w, "readings: %d of %d messages read by the LLM; kept the parser's: %s\n", m.ReadByModel, m.Read, reasons(m.ReadFallbacks))
	fmt.Fprintf(w, "drafts: %d of %d written by the LLM; grounding failures: %d; fell back to the rules' draft: %s\n", m.DraftsByModel, m.Drafts, m.Ungrounded, reasons(m.DraftFallbacks))
}

func verdict(r Result) string {
	if len(r.Failures) > 0 {
		return "FAIL"
	}
	return "pass"
}

func pct(a, b int) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", float64(a)*100/float64(b))
}

func reasons(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	total := 0
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%d %s", v, k))
		total += v
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}

// Print writes the pass/fail table.
func (r Report) Print(w io.Writer, verbose bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESULT\tCASE\tTURNS\tFIRST FAILURE")
	for _, res := range r.Results {
		status, first := "pass", ""
		if len(res.Failures) > 0 {
			status, first = "FAIL", res.Failures[0]
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", status, res.Case, res.Turns, first)
	}
	tw.Flush()
	if verbose {
		for _, res := range r.Results {
			for _, f := range res.Failures {
				fmt.Fprintf(w, "%s: %s\n", res.File, f)
			}
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", r.Passed, r.Failed)
}

// Load reads the cases of a folder (*.yaml, sorted by name).
func Load(dir string) ([]Case, error) {
	files, err := decodeAll[Case](dir, "cases")
	if err != nil {
		return nil, err
	}
	cases := make([]Case, 0, len(files))
	for _, f := range files {
		c, p := f.v, f.path
		c.File = p
		if c.Name == "" {
			c.Name = strings.TrimSuffix(filepath.Base(p), ".yaml")
		}
		if len(c.Turns) == 0 {
			return nil, fmt.Errorf("%s: a case needs at least one turn", p)
		}
		cases = append(cases, c)
	}
	return cases, nil
}

// RunDir loads and runs every case of a folder. opts are added to each case's engine
// (a language model's reader and phraser, for `whybot eval --llm`).
func RunDir(ctx context.Context, dir string, opts ...conversation.Option) (Report, error) {
	cases, err := Load(dir)
	if err != nil {
		return Report{}, err
	}
	tmp, err := os.MkdirTemp("", "whybot-eval-")
	if err != nil {
		return Report{}, err
	}
	defer os.RemoveAll(tmp)
	sampleProfile, sampleData, err := sample.Write(filepath.Join(tmp, "sample"))
	if err != nil {
		return Report{}, err
	}
	rep := Report{Model: ModelStats{ReadFallbacks: map[string]int{}, DraftFallbacks: map[string]int{}}}
	for i, c := range cases {
		res := Result{Case: c.Name, File: c.File, Turns: len(c.Turns)}
		res.Failures = runCase(ctx, c, filepath.Join(tmp, fmt.Sprintf("case%d.db", i)), sampleProfile, sampleData, &rep.Model, opts)
		if len(res.Failures) == 0 {
			rep.Passed++
		} else {
			rep.Failed++
		}
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

func runCase(ctx context.Context, c Case, dbPath, sampleProfile, sampleData string, stats *ModelStats, opts []conversation.Option) []string {
	var fails []string
	failf := func(format string, a ...any) { fails = append(fails, fmt.Sprintf(format, a...)) }
	prof, data := caseFiles(c, sampleProfile, sampleData)
	ws, err := workspace.Load(prof, data)
	if err != nil {
		return []string{"load workspace: " + err.Error()}
	}
	s, err := sqlitestore.Open(ctx, dbPath)
	if err != nil {
		return []string{err.Error()}
	}
	defer s.Close()
	if err := s.Migrate(ctx, nil); err != nil {
		return []string{err.Error()}
	}
	posted := &recorder{}
	clock := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	eng := conversation.New(s, append([]conversation.Option{conversation.WithLogger(slog.New(slog.DiscardHandler)), conversation.WithPoster("eval", posted), conversation.WithClock(func() time.Time {
		clock = clock.Add(time.Minute)
		return clock
	})}, opts...)...)
	thread, draftID, draftText := "", "", ""
	for i, t := range c.Turns {
		n := i + 1
		var state string
		switch {
		case t.Approve != "" || t.Edit != "" || t.Reject != "":
			var ok bool
			if state, ok = decideTurn(ctx, eng, s, ws, n, t, draftID, thread, failf); !ok {
				continue
			}
		default:
			r, err := eng.Ask(ctx, ws, conversation.Request{ThreadID: thread, As: t.As, Text: t.Text, Lang: t.Lang, Transport: "eval", Pick: t.Pick})
			if t.Expect.Refused {
				if err == nil {
					failf("turn %d: the message was not refused", n)
				}
				continue
			}
			if err != nil {
				failf("turn %d: %v", n, err)
				continue
			}
			stats.count(r)
			thread, state = r.Thread, string(r.State)
			draftText = ""
			if r.Draft != nil {
				draftID, draftText = r.Draft.ID, r.Draft.Text
			}
			checkReply(n, t.Expect, r, draftText, failf)
			if r.Draft != nil {
				checkDraft(n, ws, r, failf)
			}
		}
		if t.Expect.State != "" && t.Expect.State != state {
			failf("turn %d: state %s, want %s", n, state, t.Expect.State)
		}
	}
	if got := posted.count(); got > 1 {
		failf("posted %d times, want at most once", got)
	}
	return fails
}

// caseFiles are the profile and data files a case runs on: the sample's, or its own
// (named relative to the case file).
func caseFiles(c Case, sampleProfile, sampleData string) (string, []string) {
	prof, data := sampleProfile, []string{sampleData}
	if c.Workspace == "sample" {
		return prof, data
	}
	if c.Profile != "" {
		prof = filepath.Join(filepath.Dir(c.File), c.Profile)
	}
	if len(c.Data) > 0 {
		data = nil
		for _, d := range c.Data {
			data = append(data, filepath.Join(filepath.Dir(c.File), d))
		}
	}
	return prof, data
}

// decideTurn takes a reviewer's turn of a case; ok is false when the case goes on to its
// next turn without checking the state (a refusal expected, or a failure recorded).
func decideTurn(ctx context.Context, eng *conversation.Engine, s *sqlitestore.Store, ws *workspace.Workspace, n int, t Turn, draftID, thread string, failf func(string, ...any)) (state string, ok bool) {
	a := conversation.Action{Approve: t.Reject == "", EditedText: "", Reason: t.Reason}
	who := t.Approve
	if t.Edit != "" {
		who, a.EditedText = t.Edit, t.Text
	}
	if t.Reject != "" {
		who = t.Reject
	}
	_, err := eng.Decide(ctx, ws.Profile.Workspace, draftID, record.Person(who), a)
	if t.Expect.Refused {
		if err == nil {
			failf("turn %d: the action by %s was not refused", n, who)
		}
		return "", false
	}
	if err != nil {
		failf("turn %d: %v", n, err)
		return "", false
	}
	th, err := s.Thread(ctx, ws.Profile.Workspace, thread)
	if err != nil {
		failf("turn %d: %v", n, err)
		return "", false
	}
	return string(th.State), true
}

func checkReply(n int, ex Expect, r conversation.Reply, draft string, failf func(string, ...any)) {
	fired := map[string]bool{}
	for _, f := range r.Findings {
		fired[string(f.Rule)] = true
	}
	for _, id := range ex.Rules {
		if !fired[id] {
			failf("turn %d: rule %s did not fire (fired: %s)", n, id, keys(fired))
		}
	}
	for _, id := range ex.NotRules {
		if fired[id] {
			failf("turn %d: rule %s fired but must not", n, id)
		}
	}
	if ex.Language != "" && r.Language != ex.Language {
		failf("turn %d: language %s, want %s", n, r.Language, ex.Language)
	}
	if ex.Metric != "" && r.Intent.Metric != ex.Metric {
		failf("turn %d: metric %q, want %q", n, r.Intent.Metric, ex.Metric)
	}
	if ex.Claimed != nil && (r.Intent.ClaimedChangePct == nil || *r.Intent.ClaimedChangePct != *ex.Claimed) {
		failf("turn %d: claimed change %v, want %v", n, deref(r.Intent.ClaimedChangePct), *ex.Claimed)
	}
	asked := map[string]bool{}
	for _, q := range r.Questions {
		asked[string(q.Topic)] = true
		asked[string(q.Topic)+"@"+q.To] = true
	}
	for _, tp := range ex.Topics {
		if !asked[tp] {
			failf("turn %d: no question %s (asked: %s)", n, tp, keys(asked))
		}
	}
	var texts []string
	for _, q := range r.Questions {
		texts = append(texts, q.Text)
	}
	for _, a := range ex.Asks {
		if !strings.Contains(strings.Join(texts, "\n"), a) {
			failf("turn %d: no question says %q (they say %q)", n, a, texts)
		}
	}
	checkSaidBack(n, ex, r, failf)
	checkPlay(n, ex, r, failf)
	if ex.Draft != nil && *ex.Draft != (r.Draft != nil) {
		failf("turn %d: draft present = %v, want %v", n, r.Draft != nil, *ex.Draft)
	}
	for _, num := range ex.Numbers {
		if !strings.Contains(draft, num) {
			failf("turn %d: the draft does not contain %q", n, num)
		}
	}
	for _, c := range ex.Contains {
		if !strings.Contains(strings.ToLower(draft), strings.ToLower(c)) {
			failf("turn %d: the draft does not contain %q", n, c)
		}
	}
	for _, w := range ex.MustNot {
		re := regexp.MustCompile(`(?i)` + wordBound(w, true) + regexp.QuoteMeta(w) + wordBound(w, false))
		if loc := re.FindStringIndex(draft); loc != nil {
			failf("turn %d: the draft contains %q: …%s…", n, w, draft[max(0, loc[0]-30):min(len(draft), loc[1]+30)])
		}
	}
}

// checkPlay checks the next step the draft proposes.
func checkPlay(n int, ex Expect, r conversation.Reply, failf func(string, ...any)) {
	var kind, kpi string
	if r.Play != nil {
		kind, kpi = string(r.Play.Kind), r.Play.KPI
	}
	if ex.Play != "" && kind != ex.Play {
		failf("turn %d: play %q, want %q", n, kind, ex.Play)
	}
	if ex.KPI != "" && kpi != ex.KPI {
		failf("turn %d: play judged on %q, want %q", n, kpi, ex.KPI)
	}
}

// checkDraft holds every draft to the word limit of its asker's detail and to its
// evidence: no figure the data, a person or the profile does not hold.
func checkDraft(n int, ws *workspace.Workspace, r conversation.Reply, failf func(string, ...any)) {
	x, _ := ws.Profile.Person(r.Asker)
	limit := conversation.WordLimit(x.Detail)
	if w := words(r.Draft.Text); w > limit {
		failf("turn %d: the draft has %d words, more than %d", n, w, limit)
	}
	bad, err := ungrounded(ws, r.Language, r, r.Draft.Text)
	if err != nil {
		failf("turn %d: %v", n, err)
	}
	if len(bad) > 0 {
		failf("turn %d: ungrounded figures in the draft: %s", n, strings.Join(bad, ", "))
	}
}

// checkSaidBack checks what the thread says back to the person who answered.
func checkSaidBack(n int, ex Expect, r conversation.Reply, failf func(string, ...any)) {
	said := strings.Join(r.Readback, "\n")
	for _, p := range ex.Readback {
		if !strings.Contains(said, p) {
			failf("turn %d: the read-back does not say %q (it says %q)", n, p, said)
		}
	}
	again := map[string]bool{}
	for _, q := range r.AskedBack {
		again[string(q.Topic)+"@"+q.To] = true
	}
	for _, tp := range ex.AskedBack {
		if !again[tp] {
			failf("turn %d: %s was not put again (put again: %s)", n, tp, keys(again))
		}
	}
	if ex.Later && r.Later == "" {
		failf("turn %d: no reminder announced", n)
	}
	for _, tp := range ex.NoFacts {
		for _, f := range r.Facts {
			if string(f.Topic) == tp {
				failf("turn %d: a fact on %s (%q), want none", n, tp, f.Text)
			}
		}
	}
}

func keys(m map[string]bool) string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

type recorder struct{ posts []conversation.Post }

func (r *recorder) Post(_ context.Context, p conversation.Post) (string, error) {
	r.posts = append(r.posts, p)
	return "eval", nil
}

func (r *recorder) count() int { return len(r.posts) }

var _ store.Store = (*sqlitestore.Store)(nil)

// wordBound is the word boundary to put before (or after) a phrase the draft must not
// contain: one only where the phrase begins (ends) with a letter or digit, so that "35%"
// is found in "il 35%".
func wordBound(w string, before bool) string {
	r := []rune(w)
	if len(r) == 0 {
		return ""
	}
	c := r[len(r)-1]
	if before {
		c = r[0]
	}
	if unicode.IsLetter(c) || unicode.IsDigit(c) || c == '_' {
		return `\b`
	}
	return ""
}

// decoded is a YAML file of a folder, decoded strictly (unknown fields are errors).
type decoded[T any] struct {
	v    T
	path string
}

// decodeAll reads and decodes every *.yaml file of a folder, sorted by name; what names
// them in the errors ("cases", "reply files").
func decodeAll[T any](dir, what string) ([]decoded[T], error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no *.yaml %s in %s", what, dir)
	}
	sort.Strings(paths)
	out := make([]decoded[T], 0, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", what, err)
		}
		var v T
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, decoded[T]{v: v, path: p})
	}
	return out, nil
}
