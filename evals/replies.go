package evals

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/store/sqlitestore"
	"github.com/whybot/whybot/knowledge/workspace"
)

// A reply corpus file is YAML: the language of its replies and, for each reply, who
// writes it and what must be read from it, per topic:
//
//	language: it
//	replies:
//	  - text: "circa il 35% era nel nostro target"
//	    to: quality          # quality | followup | both | other (someone asked neither)
//	    want: {lead_quality: "~0.35"}
//	    kind: paraphrase     # for the report
//
// Each reply is the answer in a new thread of the sample workspace (78 leads in the latest
// month), after the owner asks why leads rose. A want is a share ("0.35"), an approximate
// one ("~0.35"), a range for vague words ("0.1-0.45": a range whose middle falls in it,
// never a figure), "open" (no share: the question stays open and is put again) or "later"
// (no share: a reminder follows). A topic not in want must get no fact.
type ReplyFile struct {
	Language string      `yaml:"language"`
	Replies  []ReplyCase `yaml:"replies"`
	File     string      `yaml:"-"`
}

// ReplyCase is one reply of the corpus.
type ReplyCase struct {
	Text string            `yaml:"text"`
	To   string            `yaml:"to"`
	Want map[string]string `yaml:"want"`
	Kind string            `yaml:"kind"`
}

// Outcomes of reading a reply, per topic.
const (
	ReadRight = "right"   // read as wanted (a share, an estimate, a range, or kept open)
	AskedBack = "asked"   // no share read where one was given: the question stays open, put again
	Dropped   = "dropped" // the question closed with nothing read
	Wrong     = "wrong"   // a share read that the reply does not state, or read for a topic not asked
	Invented  = "invented precision"
)

// ReplyResult is one reply's outcome on one topic.
type ReplyResult struct {
	Language, Topic, Kind, Text, Outcome, Got, Want string
}

// ReplyReport counts the outcomes of a corpus run.
type ReplyReport struct {
	Results []ReplyResult
}

// Count is the number of results with an outcome, in a language ("" for all).
func (r ReplyReport) Count(lang, outcome string) int {
	n := 0
	for _, x := range r.Results {
		if (lang == "" || x.Language == lang) && x.Outcome == outcome {
			n++
		}
	}
	return n
}

// Replies is how many replies were read, in a language ("" for all).
func (r ReplyReport) Replies(lang string) int {
	n := 0
	for _, x := range r.Results {
		if lang == "" || x.Language == lang {
			n++
		}
	}
	return n
}

// Print writes the outcomes per language and topic, and with verbose every reply not read
// right.
func (r ReplyReport) Print(w io.Writer, verbose bool) {
	type key struct{ lang, topic string }
	counts := map[key]map[string]int{}
	for _, x := range r.Results {
		k := key{x.Language, x.Topic}
		if counts[k] == nil {
			counts[k] = map[string]int{}
		}
		counts[k][x.Outcome]++
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].lang < keys[j].lang || keys[i].lang == keys[j].lang && keys[i].topic < keys[j].topic
	})
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LANGUAGE\tTOPIC\tREPLIES\tREAD RIGHT\tASKED AGAIN\tDROPPED\tWRONG\tINVENTED PRECISION")
	for _, k := range keys {
		c := counts[k]
		total := c[ReadRight] + c[AskedBack] + c[Dropped] + c[Wrong] + c[Invented]
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d (%s)\t%d\t%d\t%d\t%d\n", k.lang, k.topic, total, c[ReadRight], pct(c[ReadRight], total), c[AskedBack], c[Dropped], c[Wrong], c[Invented])
	}
	tw.Flush()
	if verbose {
		for _, x := range r.Results {
			if x.Outcome != ReadRight {
				fmt.Fprintf(w, "%s %s %s: %q: want %s, got %s\n", x.Language, x.Topic, x.Outcome, x.Text, x.Want, x.Got)
			}
		}
	}
	fmt.Fprintf(w, "topic readings: %d read right of %d (%s), %d asked again, %d dropped, %d wrong, %d invented precision\n",
		r.Count("", ReadRight), r.Replies(""), pct(r.Count("", ReadRight), r.Replies("")), r.Count("", AskedBack), r.Count("", Dropped), r.Count("", Wrong), r.Count("", Invented))
}

// LoadReplies reads the reply corpus files of a folder (*.yaml).
func LoadReplies(dir string) ([]ReplyFile, error) {
	files, err := decodeAll[ReplyFile](dir, "reply files")
	if err != nil {
		return nil, err
	}
	var out []ReplyFile
	for _, d := range files {
		f, p := d.v, d.path
		f.File = p
		if f.Language != "it" && f.Language != "en" {
			return nil, fmt.Errorf("%s: language must be it or en, not %q", p, f.Language)
		}
		for i, r := range f.Replies {
			if !slices.Contains([]string{"quality", "followup", "both", "other"}, r.To) {
				return nil, fmt.Errorf("%s: reply %d (%q): to must be quality, followup, both or other, not %q", p, i+1, r.Text, r.To)
			}
			for topic, want := range r.Want {
				if _, err := parseWant(want); err != nil || (topic != string(rules.TopicLeadQuality) && topic != string(rules.TopicSalesFollowup)) {
					return nil, fmt.Errorf("%s: reply %d (%q): want %s: %q is not a topic and a share, ~share, low-high, open or later", p, i+1, r.Text, topic, want)
				}
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// want is what must be read on a topic.
type want struct {
	kind   string // point, approx, range, open, later
	v      float64
	lo, hi float64
}

func parseWant(s string) (want, error) {
	switch s {
	case "open", "later":
		return want{kind: s}, nil
	}
	if lo, hi, ok := strings.Cut(s, "-"); ok {
		l, err1 := strconv.ParseFloat(lo, 64)
		h, err2 := strconv.ParseFloat(hi, 64)
		if err1 != nil || err2 != nil || l > h {
			return want{}, fmt.Errorf("bad range %q", s)
		}
		return want{kind: "range", lo: l, hi: h}, nil
	}
	kind := "point"
	if rest, ok := strings.CutPrefix(s, "~"); ok {
		kind, s = "approx", rest
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v > 1 {
		return want{}, fmt.Errorf("bad share %q", s)
	}
	return want{kind: kind, v: v}, nil
}

// RunReplies reads every reply of a corpus folder through the engine on the sample
// workspace, each in a new thread, and says per topic whether it was read right.
func RunReplies(ctx context.Context, dir string, opts ...conversation.Option) (ReplyReport, error) {
	files, err := LoadReplies(dir)
	if err != nil {
		return ReplyReport{}, err
	}
	tmp, err := os.MkdirTemp("", "whybot-replies-")
	if err != nil {
		return ReplyReport{}, err
	}
	defer os.RemoveAll(tmp)
	spaces, err := replyWorkspaces(filepath.Join(tmp, "sample"))
	if err != nil {
		return ReplyReport{}, err
	}
	s, err := sqlitestore.Open(ctx, filepath.Join(tmp, "replies.db"))
	if err != nil {
		return ReplyReport{}, err
	}
	defer s.Close()
	if err := s.Migrate(ctx, nil); err != nil {
		return ReplyReport{}, err
	}
	clock := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	eng := conversation.New(s, append([]conversation.Option{conversation.WithLogger(slog.New(slog.DiscardHandler)), conversation.WithClock(func() time.Time {
		clock = clock.Add(time.Second)
		return clock
	})}, opts...)...)
	var rep ReplyReport
	for _, f := range files {
		for _, rc := range f.Replies {
			res, err := readReply(ctx, eng, spaces, f.Language, rc)
			if err != nil {
				return rep, fmt.Errorf("%s: %q: %w", f.File, rc.Text, err)
			}
			rep.Results = append(rep.Results, res...)
		}
	}
	return rep, nil
}

// replyWorkspace is a workspace a reply is read in, and who writes the reply.
type replyWorkspace struct {
	ws     *workspace.Workspace
	writer map[string]string // by ReplyCase.To: the handle of the person who replies
	topics map[string][]rules.Topic
}

// replyWorkspaces are the sample workspace (Giulia is asked about quality, Marco about
// follow-up, Anna, who asks, about neither) and the sample with only its owner, who is
// asked both.
func replyWorkspaces(dir string) (map[string]replyWorkspace, error) {
	prof, data, err := sample.Write(dir)
	if err != nil {
		return nil, err
	}
	ws, err := workspace.Load(prof, []string{data})
	if err != nil {
		return nil, err
	}
	solo, err := workspace.Load(prof, []string{data})
	if err != nil {
		return nil, err
	}
	solo.Profile.Workspace += "-solo"
	solo.Profile.Slack, solo.Profile.Discord = profile.SlackSettings{}, profile.DiscordSettings{}
	solo.Profile.People = slices.DeleteFunc(slices.Clone(solo.Profile.People), func(p profile.Person) bool { return p.Role != "owner" && !p.Reviewer })
	for i := range solo.Profile.People {
		if solo.Profile.People[i].Role != "owner" {
			solo.Profile.People[i].Role = "other"
		}
	}
	q, f := []rules.Topic{rules.TopicLeadQuality}, []rules.Topic{rules.TopicSalesFollowup}
	full := replyWorkspace{ws: ws, writer: map[string]string{"quality": "giulia", "followup": "marco", "other": "anna"},
		topics: map[string][]rules.Topic{"quality": q, "followup": f}}
	alone := replyWorkspace{ws: solo, writer: map[string]string{"both": "anna"}, topics: map[string][]rules.Topic{"both": append(q, f...)}}
	return map[string]replyWorkspace{"quality": full, "followup": full, "other": full, "both": alone}, nil
}

var openers = map[string]string{"it": "Perché i lead sono aumentati del 30%?", "en": "Why did leads rise 30%?"}

// readReply asks the opening question in a new thread, replies, and judges each topic.
func readReply(ctx context.Context, eng *conversation.Engine, spaces map[string]replyWorkspace, lang string, rc ReplyCase) ([]ReplyResult, error) {
	sp := spaces[rc.To]
	first, err := eng.Ask(ctx, sp.ws, conversation.Request{As: "anna", Text: openers[lang], Lang: lang, Transport: "eval"})
	if err != nil {
		return nil, err
	}
	r, err := eng.Ask(ctx, sp.ws, conversation.Request{ThreadID: first.Thread, As: sp.writer[rc.To], Text: rc.Text, Transport: "eval"})
	if err != nil {
		return nil, err
	}
	var out []ReplyResult
	for _, topic := range []rules.Topic{rules.TopicLeadQuality, rules.TopicSalesFollowup} {
		res := ReplyResult{Language: lang, Topic: string(topic), Kind: rc.Kind, Text: rc.Text, Want: rc.Want[string(topic)]}
		asked := slices.Contains(sp.topics[rc.To], topic)
		if res.Want == "" && !asked && rc.To != "other" {
			continue // a topic not put to the writer, and nothing wanted of it
		}
		res.Outcome, res.Got = judge(r, topic, sp.writer[rc.To], res.Want)
		out = append(out, res)
	}
	return out, nil
}

// judge says how a topic of a reply was read.
func judge(r conversation.Reply, topic rules.Topic, by, wantText string) (outcome, got string) {
	var fact *rules.Fact
	for i := range r.Facts {
		if r.Facts[i].Topic == topic && r.Facts[i].By == by {
			fact = &r.Facts[i]
		}
	}
	open := false
	for _, q := range append(slices.Clone(r.Questions), r.AskedBack...) {
		open = open || q.Topic == topic
	}
	got = "nothing, question open"
	switch {
	case fact != nil && fact.Reading != nil && fact.Reading.Ranged():
		got = fmt.Sprintf("range %.2f-%.2f", fact.Reading.Low, fact.Reading.High)
	case fact != nil && fact.Value != nil:
		got = fmt.Sprintf("%.3f", *fact.Value)
		if fact.Reading != nil && fact.Reading.Approx {
			got = "~" + got
		}
	case fact != nil:
		got = "words only"
	case !open:
		got = "nothing, question closed"
	}
	if wantText == "" { // nothing to read on this topic
		if fact != nil {
			return Wrong, got
		}
		return ReadRight, got
	}
	w, _ := parseWant(wantText)
	if fact == nil || (fact.Value == nil && !fact.Reading.Ranged()) {
		switch {
		case !open:
			return Dropped, got
		case w.kind == "open":
			return ReadRight, got
		case w.kind == "later" && r.Later != "":
			return ReadRight, got
		}
		return AskedBack, got
	}
	switch w.kind {
	case "open", "later":
		return Wrong, got
	case "range":
		if !fact.Reading.Ranged() {
			return Invented, got
		}
		mid := (fact.Reading.Low + fact.Reading.High) / 2
		if mid >= w.lo-1e-9 && mid <= w.hi+1e-9 {
			return ReadRight, got
		}
		return Wrong, got
	}
	if fact.Value == nil || math.Abs(*fact.Value-w.v) > 0.006 {
		return Wrong, got
	}
	approx := fact.Reading != nil && fact.Reading.Approx
	if w.kind == "approx" && !approx {
		return Invented, got // "circa il 35%" read as exactly 35%
	}
	if w.kind == "point" && approx {
		return Wrong, got
	}
	return ReadRight, got
}

// Floors says which of the corpus floors the report misses ("" when none): at least 95%
// of the replies of each language read right, none dropped, none wrong, no invented
// precision.
func (r ReplyReport) Floors() string {
	var miss []string
	for _, lang := range []string{"it", "en"} {
		if n := r.Replies(lang); n > 0 && float64(r.Count(lang, ReadRight)) < 0.95*float64(n) {
			miss = append(miss, fmt.Sprintf("%s: %d of %d replies read right, under 95%%", lang, r.Count(lang, ReadRight), n))
		}
	}
	for _, o := range []string{Dropped, Wrong, Invented} {
		if n := r.Count("", o); n > 0 {
			miss = append(miss, fmt.Sprintf("%d replies %s", n, o))
		}
	}
	return strings.Join(miss, "; ")
}

// IsReplyCorpus reports whether a folder holds reply corpus files (a "replies:" list)
// rather than scenario cases.
func IsReplyCorpus(dir string) bool {
	paths, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if len(paths) == 0 {
		return false
	}
	b, err := os.ReadFile(paths[0])
	if err != nil {
		return false
	}
	var probe struct {
		Replies []yaml.Node `yaml:"replies"`
	}
	return yaml.Unmarshal(b, &probe) == nil && len(probe.Replies) > 0
}
