// Package profile loads and validates a company profile (company.yaml): the company's real
// values, the limits it will not cross, its goals, its decisional KPIs per funnel stage, its
// vanity metrics, its people (who answers what, in which language and tone, who reviews), and
// a glossary of metric synonyms.
package profile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/whybot/whybot/knowledge/limits"
	"github.com/whybot/whybot/knowledge/metric"
)

// Profile is a company's profile.
type Profile struct {
	Workspace string `yaml:"workspace" json:"workspace"`
	Company   string `yaml:"company" json:"company"`
	Language  string `yaml:"language" json:"language"`
	Currency  string `yaml:"currency" json:"currency,omitempty"`
	// Locale is how the data files write numbers: it (1.250,5) or en (1,250.5); when it is
	// not given it is the language, if that is given. Data can set it per file.
	Locale string     `yaml:"locale" json:"locale,omitempty"`
	Data   []DataFile `yaml:"data" json:"data,omitempty"`
	// Sources are the places whybot pulls KPI aggregates from on a schedule.
	Sources       []Source `yaml:"sources" json:"sources,omitempty"`
	Values        []Value  `yaml:"values" json:"values"`
	Limits        []Limit  `yaml:"limits" json:"limits"`
	Goals         []Goal   `yaml:"goals" json:"goals"`
	Funnel        Funnel   `yaml:"funnel" json:"funnel"`
	VanityMetrics []string `yaml:"vanity_metrics" json:"vanity_metrics"`
	People        []Person `yaml:"people" json:"people"`
	// Roles are the company's own role names, each with the duties whybot asks about.
	Roles    []Role              `yaml:"roles" json:"roles,omitempty"`
	Glossary map[string][]string `yaml:"glossary" json:"glossary,omitempty"`
	// Brand are the words a search naming the company uses (its name, its products'):
	// Search Console's branded queries are told by them.
	Brand []string `yaml:"brand" json:"brand,omitempty"`
	// Metrics are the company's own metrics, or refinements of built-in ones.
	Metrics    []Metric        `yaml:"metrics" json:"metrics,omitempty"`
	Thresholds Thresholds      `yaml:"thresholds" json:"thresholds"`
	Slack      SlackSettings   `yaml:"slack" json:"slack,omitempty"`
	Discord    DiscordSettings `yaml:"discord" json:"discord,omitempty"`
	// LLM is "off" to keep this company's data away from any language model even when
	// one is configured; empty or "on" lets the configured one phrase drafts.
	LLM string `yaml:"llm" json:"llm,omitempty"`

	File string `yaml:"-" json:"-"`
	// Origin is the file the profile was first read from, kept when it is stored, so that
	// a stored workspace still says where each of its metrics is defined.
	Origin     string `yaml:"-" json:"origin,omitempty"`
	localeLine int
	vanityLine int
	cat        *metric.Catalogue
}

// Metric is one of the company's own metrics (metrics: in company.yaml), or a built-in
// metric it refines (same id): labels, synonyms, kind, which way is good, a formula over
// other metrics, whether it is decisional or vanity, and its funnel stage.
type Metric struct {
	ID         string            `yaml:"id" json:"id"`
	Labels     map[string]string `yaml:"labels" json:"labels,omitempty"` // it / en → display name
	Synonyms   []string          `yaml:"synonyms" json:"synonyms,omitempty"`
	Kind       string            `yaml:"kind" json:"kind,omitempty"`     // count | money | percent | ratio | duration
	Better     string            `yaml:"better" json:"better,omitempty"` // up | down | neutral
	Formula    string            `yaml:"formula" json:"formula,omitempty"`
	Decisional bool              `yaml:"decisional" json:"decisional,omitempty"`
	Vanity     bool              `yaml:"vanity" json:"vanity,omitempty"`
	Stage      string            `yaml:"stage" json:"stage,omitempty"`     // awareness | consideration | conversion | retention
	Article    string            `yaml:"article" json:"article,omitempty"` // the Italian article of its name, when whybot guesses it wrong
	Line       int               `yaml:"-" json:"line,omitempty"`
	// Inferred is where the data showed the kind of a metric nobody defined: the first
	// cell written with % or a currency ("kpis.csv:3"). Kept with the stored profile.
	Inferred string `yaml:"-" json:"inferred,omitempty"`
}

// Value is a real value of the company, with the metrics that say whether it is lived.
type Value struct {
	ID      string   `yaml:"id" json:"id"`
	Text    string   `yaml:"text" json:"text"`
	Metrics []string `yaml:"metrics" json:"metrics,omitempty"`
	Line    int      `yaml:"-" json:"line,omitempty"`
}

// Limit is a line the company will not cross; Rule is an expr-lang boolean that must hold.
type Limit struct {
	ID   string `yaml:"id" json:"id"`
	Text string `yaml:"text" json:"text"`
	Rule string `yaml:"rule" json:"rule"`
	Line int    `yaml:"-" json:"line,omitempty"`
	// RuleLine is the line of the rule field itself.
	RuleLine int `yaml:"-" json:"rule_line,omitempty"`
}

// DataFile says how to read one data file, matched by its file name.
type DataFile struct {
	File   string `yaml:"file" json:"file"`
	Locale string `yaml:"locale" json:"locale,omitempty"`
	// Preset is a known export's layout: ga4, google_ads, meta_ads, search_console, hubspot.
	Preset string `yaml:"preset" json:"preset,omitempty"`
	// Columns maps the file's column names to period, a dimension (channel, source,
	// medium, campaign, segment), a metric id or skip.
	Columns map[string]string `yaml:"columns" json:"columns,omitempty"`
	// Sheet is the sheet of an .xlsx workbook to read; empty reads the first.
	Sheet string `yaml:"sheet" json:"sheet,omitempty"`
	Line  int    `yaml:"-" json:"line,omitempty"`
}

// DataFileFor is the data entry whose file is path (by its name), if any.
func (p *Profile) DataFileFor(path string) (DataFile, bool) {
	base := filepath.Base(path)
	for _, d := range p.Data {
		if d.File == path || filepath.Base(d.File) == base {
			return d, true
		}
	}
	return DataFile{}, false
}

// DataLocale is how the data file at path writes numbers, and where that was said
// ("company.yaml:12"); both empty when nobody said.
func (p *Profile) DataLocale(path string) (locale, where string) {
	if d, ok := p.DataFileFor(path); ok && d.Locale != "" {
		return d.Locale, fmt.Sprintf("%s:%d", p.File, d.Line)
	}
	if p.Locale != "" {
		return p.Locale, fmt.Sprintf("%s:%d", p.File, max(p.localeLine, 1))
	}
	return "", ""
}

// Goal is a target for one metric by a month.
type Goal struct {
	ID        string  `yaml:"id" json:"id"`
	Text      string  `yaml:"text" json:"text,omitempty"` // how the company says it; drafts name a goal by this, never by its id
	Metric    string  `yaml:"metric" json:"metric"`
	Target    float64 `yaml:"target" json:"target"`
	Direction string  `yaml:"direction" json:"direction"` // up | down
	By        string  `yaml:"by" json:"by,omitempty"`     // YYYY-MM
	Line      int     `yaml:"-" json:"line,omitempty"`
}

// Deadline is the last day of the goal's month.
func (g Goal) Deadline() (time.Time, bool) {
	t, err := time.Parse("2006-01", g.By)
	if err != nil {
		return time.Time{}, false
	}
	return t.AddDate(0, 1, -1), true
}

// Funnel lists the decisional KPIs per stage.
type Funnel struct {
	Awareness     []string `yaml:"awareness" json:"awareness"`
	Consideration []string `yaml:"consideration" json:"consideration"`
	Conversion    []string `yaml:"conversion" json:"conversion"`
	Retention     []string `yaml:"retention" json:"retention"`
	Line          int      `yaml:"-" json:"-"`
}

// Stages are the funnel stages in order.
var Stages = []string{"awareness", "consideration", "conversion", "retention"}

func (f *Funnel) stagePtr(name string) *[]string {
	switch name {
	case "awareness":
		return &f.Awareness
	case "consideration":
		return &f.Consideration
	case "conversion":
		return &f.Conversion
	case "retention":
		return &f.Retention
	}
	return nil
}

// Stage returns the KPIs of one stage.
func (f Funnel) Stage(name string) []string {
	switch name {
	case "awareness":
		return f.Awareness
	case "consideration":
		return f.Consideration
	case "conversion":
		return f.Conversion
	case "retention":
		return f.Retention
	}
	return nil
}

// SlackSettings tie the company to its Slack workspace: the team id selects this profile for
// events from that team, and drafts go to its review channel.
type SlackSettings struct {
	Team          string `yaml:"team" json:"team,omitempty"`                     // T…
	ReviewChannel string `yaml:"review_channel" json:"review_channel,omitempty"` // C… or G…
}

// DiscordSettings tie the company to its Discord server (guild): the guild id selects this
// profile, drafts go to its review channel, and members with the reviewer role may act.
type DiscordSettings struct {
	Guild         string `yaml:"guild" json:"guild,omitempty"`                   // server id
	ReviewChannel string `yaml:"review_channel" json:"review_channel,omitempty"` // channel id
	ReviewerRole  string `yaml:"reviewer_role" json:"reviewer_role,omitempty"`   // role id; its members review too
}

// ByDiscord returns the person with a Discord user id.
func (p *Profile) ByDiscord(user string) (Person, bool) {
	for _, x := range p.People {
		if x.Discord != "" && x.Discord == user {
			return x, true
		}
	}
	return Person{}, false
}

// BySlack returns the person with a Slack user id.
func (p *Profile) BySlack(user string) (Person, bool) {
	for _, x := range p.People {
		if x.Slack != "" && x.Slack == user {
			return x, true
		}
	}
	return Person{}, false
}

// ByWeb returns the people a web console account speaks as (normally one).
func (p *Profile) ByWeb(account string) []Person {
	var out []Person
	for _, x := range p.People {
		if x.Web != "" && strings.EqualFold(x.Web, account) {
			out = append(out, x)
		}
	}
	return out
}

// Person is someone the bot talks to.
type Person struct {
	Handle   string `yaml:"handle" json:"handle"`
	Name     string `yaml:"name" json:"name,omitempty"`
	Role     string `yaml:"role" json:"role"` // owner | marketing | sales | agency | other
	Language string `yaml:"language" json:"language,omitempty"`
	Tone     string `yaml:"tone" json:"tone,omitempty"`     // formal | informal
	Detail   string `yaml:"detail" json:"detail,omitempty"` // summary | detailed
	Reviewer bool   `yaml:"reviewer" json:"reviewer,omitempty"`
	Slack    string `yaml:"slack" json:"slack,omitempty"`
	Discord  string `yaml:"discord" json:"discord,omitempty"`
	// Web is the web console account (whybot user add) that speaks as this person in the
	// console's chat; an account speaks only as the people linked to it.
	Web  string `yaml:"web" json:"web,omitempty"`
	Line int    `yaml:"-" json:"line,omitempty"`
}

// DisplayName is the person's name, or the handle when no name is given.
func (p Person) DisplayName() string {
	if p.Name != "" {
		return p.Name
	}
	if p.Handle == "" {
		return ""
	}
	return strings.ToUpper(p.Handle[:1]) + p.Handle[1:]
}

// FirstName is the first word of DisplayName.
func (p Person) FirstName() string {
	n, _, _ := strings.Cut(p.DisplayName(), " ")
	return n
}

// Thresholds tune the built-in rules; zero values take the defaults.
type Thresholds struct {
	PremiseTolerancePts float64 `yaml:"premise_tolerance_pts" json:"premise_tolerance_pts"` // default 5 percentage points
	QualifiedRateMin    float64 `yaml:"qualified_rate_min" json:"qualified_rate_min"`       // default 0.5
	FollowupRateMin     float64 `yaml:"followup_rate_min" json:"followup_rate_min"`         // default 0.8
	ChannelShareMax     float64 `yaml:"channel_share_max" json:"channel_share_max"`         // default 0.7
	LeadSwingPct        float64 `yaml:"lead_swing_pct" json:"lead_swing_pct"`               // default 20
	ValueRiskPct        float64 `yaml:"value_risk_pct" json:"value_risk_pct"`               // default 10
	CACRisingPeriods    int     `yaml:"cac_rising_periods" json:"cac_rising_periods"`       // default 3
	UnstableLeadsCV     float64 `yaml:"unstable_leads_cv" json:"unstable_leads_cv"`         // default 0.25
	TooManyChannels     int     `yaml:"too_many_channels" json:"too_many_channels"`         // default 5
	ReviewDeadlineHours int     `yaml:"review_deadline_hours" json:"review_deadline_hours"` // default 24
}

// WithDefaults fills zero thresholds.
func (t Thresholds) WithDefaults() Thresholds {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&t.PremiseTolerancePts, 5)
	def(&t.QualifiedRateMin, 0.5)
	def(&t.FollowupRateMin, 0.8)
	def(&t.ChannelShareMax, 0.7)
	def(&t.LeadSwingPct, 20)
	def(&t.ValueRiskPct, 10)
	def(&t.UnstableLeadsCV, 0.25)
	if t.CACRisingPeriods == 0 {
		t.CACRisingPeriods = 3
	}
	if t.TooManyChannels == 0 {
		t.TooManyChannels = 5
	}
	if t.ReviewDeadlineHours == 0 {
		t.ReviewDeadlineHours = 24
	}
	return t
}

// BuiltinRoles are the roles every company has; roles: in company.yaml adds its own.
var BuiltinRoles = []string{"owner", "marketing", "sales", "agency", "other"}

// Person returns the person with a handle.
func (p *Profile) Person(handle string) (Person, bool) {
	for _, x := range p.People {
		if strings.EqualFold(x.Handle, handle) {
			return x, true
		}
	}
	return Person{}, false
}

// ByRole returns the first person with a built-in role, or with a company role that
// carries its duties (a receptionist who follows up leads answers as sales).
func (p *Profile) ByRole(role string) (Person, bool) {
	for _, x := range p.People {
		if p.covers(x.Role, role) {
			return x, true
		}
	}
	return Person{}, false
}

// DefaultAsker is who asks when nobody is named: the owner, else the first person.
func (p *Profile) DefaultAsker() Person {
	if o, ok := p.ByRole("owner"); ok {
		return o
	}
	if len(p.People) > 0 {
		return p.People[0]
	}
	return Person{Handle: "owner", Role: "owner"}
}

// VanityLine is the line of vanity_metrics (1 when the file does not list them).
func (p *Profile) VanityLine() int { return max(p.vanityLine, 1) }

// Vanity reports whether a metric is a vanity metric for this company.
func (p *Profile) Vanity(id string) bool {
	return slices.Contains(p.VanityMetrics, id)
}

// Resolver maps metric names through the company's catalogue and the glossary.
func (p *Profile) Resolver() *metric.Resolver { return p.Catalogue().Resolver(p.Glossary) }

// Catalogue is the built-in catalogue extended with the company's own metrics.
func (p *Profile) Catalogue() *metric.Catalogue {
	if p.cat == nil {
		return metric.Builtin()
	}
	return p.cat
}

// IsDecisional reports whether a metric is one of the funnel's decisional KPIs.
func (p *Profile) IsDecisional(id string) bool { return slices.Contains(p.Decisional(), id) }

// Decisional lists the funnel's KPIs.
func (p *Profile) Decisional() []string {
	var out []string
	for _, s := range Stages {
		out = append(out, p.Funnel.Stage(s)...)
	}
	return out
}

// Problem is one mistake in a profile, at a line.
type Problem struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	if p.Field != "" {
		return fmt.Sprintf("%s: %s: %s", loc, p.Field, p.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, p.Msg)
}

// Error lists every problem of a profile.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	s := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		s[i] = p.String()
	}
	return strings.Join(s, "\n")
}

func (e *Error) add(file string, line int, field, format string, args ...any) {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = limits.Cut(s) // a value quoted back is at most 80 characters
		}
	}
	e.Problems = append(e.Problems, Problem{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// Load reads and validates a profile file (at most limits.ProfileBytes); see Parse.
func Load(path string) (*Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	defer f.Close()
	data, err := limits.ReadAll(f, limits.ProfileBytes, "the file")
	if errors.Is(err, limits.ErrTooLarge) {
		return nil, &Error{Problems: []Problem{{File: path, Msg: fmt.Sprintf("the file is larger than %s, the limit (a company profile is a few KiB)", limits.Size(limits.ProfileBytes))}}}
	}
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	return Parse(path, data)
}

// Parse reads and validates a profile from YAML bytes; name is used in error messages.
// A profile that decodes but does not validate is returned with its *Error, so that its
// data can still be checked; never use it for anything else.
func Parse(name string, data []byte) (*Profile, error) {
	if len(data) > limits.ProfileBytes {
		return nil, &Error{Problems: []Problem{{File: name, Msg: fmt.Sprintf("the file is larger than %s, the limit (a company profile is a few KiB)", limits.Size(limits.ProfileBytes))}}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{Problems: []Problem{{File: name, Line: yamlLine(err), Msg: "not valid YAML: " + yamlMsg(err)}}}
	}
	if len(root.Content) == 0 {
		return nil, &Error{Problems: []Problem{{File: name, Msg: "file is empty: start from `whybot init DIR`, which writes a commented example"}}}
	}
	if line := aliasLine(&root); line > 0 {
		return nil, &Error{Problems: []Problem{{File: name, Line: line, Msg: "YAML aliases (*name) are not read in a company profile: write the entry out where it is used"}}}
	}
	p := &Profile{File: name}
	if err := root.Content[0].Decode(p); err != nil {
		return nil, &Error{Problems: []Problem{{File: name, Line: yamlLine(err), Msg: yamlMsg(err)}}}
	}
	p.File, p.Origin = name, name
	recordLines(root.Content[0], p)
	if err := p.normalize(); err != nil {
		return p, err // what could be read, so the data can be checked too (every problem at once)
	}
	return p, nil
}

// aliasLine is the line of the first alias in the document, 0 with none: a profile has no
// use for them, and refusing them refuses every "billion laughs" document at once.
func aliasLine(n *yaml.Node) int {
	if n.Kind == yaml.AliasNode {
		return max(n.Line, 1)
	}
	for _, c := range n.Content {
		if l := aliasLine(c); l > 0 {
			return l
		}
	}
	return 0
}

var lineRe = regexp.MustCompile(`line (\d+)`)

// snowflakeRe matches Discord ids (snowflakes): 17 to 20 digits.
var snowflakeRe = regexp.MustCompile(`^[0-9]{17,20}$`)

// slackIDRe matches Slack ids (T…, C…, U…): upper-case letters and digits.
var slackIDRe = regexp.MustCompile(`^[A-Z][A-Z0-9]{2,}$`)

func yamlLine(err error) int {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		var n int
		fmt.Sscan(m[1], &n)
		return n
	}
	return 0
}

func yamlMsg(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = lineRe.ReplaceAllString(msg, "")
	msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
	return strings.TrimSpace(strings.Trim(strings.TrimSpace(msg), ":"))
}

// setLines gives each of the first n items of a list its node's line.
func setLines(items []*yaml.Node, n int, set func(j, line int)) {
	for j := 0; j < n && j < len(items); j++ {
		set(j, items[j].Line)
	}
}

// recordLines copies node lines into the items that report errors by line.
func recordLines(doc *yaml.Node, p *Profile) {
	if doc.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		key, val := doc.Content[i].Value, doc.Content[i+1]
		items := val.Content
		switch key {
		case "values":
			setLines(items, len(p.Values), func(j, line int) { p.Values[j].Line = line })
		case "limits":
			for j := range p.Limits {
				if j < len(items) {
					p.Limits[j].Line = items[j].Line
					p.Limits[j].RuleLine = fieldLine(items[j], "rule")
				}
			}
		case "goals":
			setLines(items, len(p.Goals), func(j, line int) { p.Goals[j].Line = line })
		case "people":
			setLines(items, len(p.People), func(j, line int) { p.People[j].Line = line })
		case "funnel":
			p.Funnel.Line = val.Line
		case "vanity_metrics":
			p.vanityLine = val.Line
		case "roles":
			setLines(items, len(p.Roles), func(j, line int) { p.Roles[j].Line = line })
		case "metrics":
			setLines(items, len(p.Metrics), func(j, line int) { p.Metrics[j].Line = line })
		case "data":
			setLines(items, len(p.Data), func(j, line int) { p.Data[j].Line = line })
		case "sources":
			setLines(items, len(p.Sources), func(j, line int) { p.Sources[j].Line = line })
		case "locale", "language":
			if key == "locale" || p.localeLine == 0 {
				p.localeLine = val.Line
			}
		}
	}
}

func fieldLine(n *yaml.Node, field string) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == field {
			return n.Content[i+1].Line
		}
	}
	return n.Line
}

var idRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// normalize fills defaults and checks everything that does not need the KPI data.
func (p *Profile) normalize() error {
	e := &Error{}
	p.normalizeSettings(e)
	p.normalizeMetrics(e)
	if p.VanityMetrics == nil {
		p.VanityMetrics = p.Catalogue().Vanity()
	}
	p.addOwnKPIs()
	res := p.Resolver()
	norm := func(name string) string { id, _ := res.Resolve(name); return id }
	p.normalizeEntries(e, norm)
	p.normalizeSources(e, res)
	for _, s := range Stages {
		list := p.Funnel.Stage(s)
		for j, m := range list {
			list[j] = norm(m)
		}
	}
	for i, m := range p.VanityMetrics {
		p.VanityMetrics[i] = norm(m)
	}
	p.normalizeRoles(e)
	p.normalizePeople(e)
	p.Thresholds = p.Thresholds.WithDefaults()
	if len(e.Problems) > 0 {
		return e
	}
	return nil
}

// normalizeSettings checks the company's own settings (name, workspace id, language,
// currency, LLM use, Slack and Discord ids) and fills the defaults.
func (p *Profile) normalizeSettings(e *Error) {
	f := p.File
	if strings.TrimSpace(p.Company) == "" {
		e.add(f, 1, "company", "missing: name the company (company: Meccanica Rossi S.r.l.)")
	}
	if p.Workspace == "" {
		p.Workspace = Slug(p.Company)
	} else if !idRe.MatchString(p.Workspace) {
		e.add(f, 1, "workspace", "%q must be lower case letters, digits and _ (e.g. meccanica_rossi)", p.Workspace)
	}
	if p.Locale == "" && (p.Language == "it" || p.Language == "en") {
		p.Locale = p.Language // stated in the file or not at all: never the default below
	}
	switch p.Locale {
	case "", "it", "en":
	default:
		e.add(f, p.localeLine, "locale", "%q is not a number style whybot reads: use it (1.250,5) or en (1,250.5)", p.Locale)
	}
	for i, d := range p.Data {
		field := fmt.Sprintf("data[%d]", i)
		if strings.TrimSpace(d.File) == "" {
			e.add(f, d.Line, field+".file", "missing: name the data file (ga4_export.csv)")
		}
		switch d.Locale {
		case "", "it", "en":
		default:
			e.add(f, d.Line, field+".locale", "%q is not a number style whybot reads: use it (1.250,5) or en (1,250.5)", d.Locale)
		}
	}
	switch p.Language {
	case "":
		p.Language = "en"
	case "it", "en":
	default:
		e.add(f, 1, "language", "%q is not supported: use it or en", p.Language)
	}
	if p.Currency == "" {
		p.Currency = "EUR"
	}
	switch p.LLM {
	case "", "on", "off":
	default:
		e.add(f, 1, "llm", "%q is not a setting: use off (never send this company's data to a language model) or on", p.LLM)
	}
	if t := p.Slack.Team; t != "" && (!slackIDRe.MatchString(t) || t[0] != 'T') {
		e.add(f, 1, "slack.team", "%q is not a Slack team id: it starts with T (Slack → workspace settings, or the team_id of any event)", t)
	}
	if c := p.Slack.ReviewChannel; c != "" && (!slackIDRe.MatchString(c) || (c[0] != 'C' && c[0] != 'G')) {
		e.add(f, 1, "slack.review_channel", "%q is not a Slack channel id: open the channel's details in Slack and copy the id at the bottom (C…)", c)
	}
	for _, d := range []struct{ field, v, what string }{
		{"discord.guild", p.Discord.Guild, "server"}, {"discord.review_channel", p.Discord.ReviewChannel, "channel"}, {"discord.reviewer_role", p.Discord.ReviewerRole, "role"},
	} {
		if d.v != "" && !snowflakeRe.MatchString(d.v) {
			e.add(f, 1, d.field, "%q is not a Discord %s id: turn on Developer Mode (User Settings → Advanced), then right-click the %s → Copy ID", d.v, d.what, d.what)
		}
	}
}

// normalizeEntries checks the values, limits and goals (each with a unique id) and reads
// their metric names as metric ids.
func (p *Profile) normalizeEntries(e *Error, norm func(string) string) {
	f := p.File
	ids := map[string]string{}
	checkID := func(line int, field, id string) {
		switch {
		case id == "":
			e.add(f, line, field+".id", "missing: give each entry a short id such as quality")
		case !idRe.MatchString(id):
			e.add(f, line, field+".id", "%q must be lower case letters, digits and _", id)
		default:
			if prev, dup := ids[id]; dup {
				e.add(f, line, field+".id", "%q is already used by %s: ids must be unique", id, prev)
			}
			ids[id] = field
		}
	}
	for i := range p.Values {
		v := &p.Values[i]
		checkID(v.Line, fmt.Sprintf("values[%d]", i), v.ID)
		if strings.TrimSpace(v.Text) == "" {
			e.add(f, v.Line, fmt.Sprintf("values[%s].text", v.ID), "missing: say the value in words")
		}
		for j, m := range v.Metrics {
			v.Metrics[j] = norm(m)
		}
	}
	for i := range p.Limits {
		l := &p.Limits[i]
		checkID(l.Line, fmt.Sprintf("limits[%d]", i), l.ID)
		if strings.TrimSpace(l.Rule) == "" {
			e.add(f, l.Line, fmt.Sprintf("limits[%s].rule", l.ID), "missing: write the limit as a condition that must hold, e.g. discount_rate <= 0.15")
		}
	}
	for i := range p.Goals {
		g := &p.Goals[i]
		checkID(g.Line, fmt.Sprintf("goals[%d]", i), g.ID)
		if g.Metric == "" {
			e.add(f, g.Line, fmt.Sprintf("goals[%s].metric", g.ID), "missing: name the metric the goal is about")
		}
		g.Metric = norm(g.Metric)
		switch g.Direction {
		case "up", "down":
		case "":
			if b := p.Catalogue().BetterOf(g.Metric); b == metric.Down {
				g.Direction = "down"
			} else {
				g.Direction = "up"
			}
		default:
			e.add(f, g.Line, fmt.Sprintf("goals[%s].direction", g.ID), "%q must be up or down", g.Direction)
		}
		if g.By != "" {
			if _, ok := g.Deadline(); !ok {
				e.add(f, g.Line, fmt.Sprintf("goals[%s].by", g.ID), "%q must be a month like 2027-03", g.By)
			}
		}
	}
}

// normalizePeople checks the people: unique handles, roles, languages, tone, detail,
// platform ids, and at least one reviewer.
func (p *Profile) normalizePeople(e *Error) {
	f := p.File
	handles := map[string]bool{}
	for i := range p.People {
		x := &p.People[i]
		field := fmt.Sprintf("people[%d]", i)
		x.Handle = strings.ToLower(strings.TrimSpace(x.Handle))
		if x.Handle == "" {
			e.add(f, x.Line, field+".handle", "missing: every person needs a handle (giulia)")
		} else if handles[x.Handle] {
			e.add(f, x.Line, field+".handle", "%q is used twice", x.Handle)
		} else if !HandleOK(x.Handle) {
			e.add(f, x.Line, field+".handle", "%q is not a handle: use lower case letters, digits, dots, dashes or _ (giulia)", x.Handle)
		} else if x.Handle == "whybot" {
			e.add(f, x.Line, field+".handle", "%q is whybot's own name in the audit trail: give the person another handle", x.Handle)
		}
		handles[x.Handle] = true
		if r, own := p.OwnRole(x.Role); own {
			x.Role = r.Name
			if slices.Contains(r.Duties, DutyReview) {
				x.Reviewer = true
			}
		} else if !slices.Contains(BuiltinRoles, x.Role) {
			e.add(f, x.Line, field+".role", "%q is not a role%s: use one of %s, or define it under roles:", x.Role, metric.SuggestFrom(x.Role, p.roleNames()), strings.Join(p.roleNames(), ", "))
		}
		if x.Language == "" {
			x.Language = ""
		} else if x.Language != "it" && x.Language != "en" {
			e.add(f, x.Line, field+".language", "%q is not supported: use it or en", x.Language)
		}
		switch x.Tone {
		case "", "formal", "informal":
		default:
			e.add(f, x.Line, field+".tone", "%q must be formal or informal", x.Tone)
		}
		switch x.Detail {
		case "", "summary", "detailed":
		default:
			e.add(f, x.Line, field+".detail", "%q must be summary or detailed", x.Detail)
		}
		if x.Discord != "" && !snowflakeRe.MatchString(x.Discord) {
			e.add(f, x.Line, field+".discord", "%q is not a Discord user id: turn on Developer Mode (User Settings → Advanced), then right-click the person → Copy User ID", x.Discord)
		}
		if x.Web != "" && strings.ContainsAny(x.Web, " \t:/") {
			e.add(f, x.Line, field+".web", "%q is not a web console account name: use the name given to `whybot user add` (letters, digits, dots or dashes)", x.Web)
		}
	}
	if len(p.People) > 0 {
		reviewers := 0
		for _, x := range p.People {
			if x.Reviewer {
				reviewers++
			}
		}
		if reviewers == 0 {
			e.add(f, p.People[0].Line, "people", "nobody is a reviewer: mark at least one person with reviewer: true, or no draft can ever be approved")
		}
	} else {
		e.add(f, 1, "people", "missing: list at least the owner and one reviewer (reviewer: true)")
	}
}

var handleRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

// HandleOK reports whether s can be a person's handle (giulia, marco.verdi).
func HandleOK(s string) bool { return handleRe.MatchString(s) }

// Slug makes a workspace id from a company name.
func Slug(s string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
		case strings.ContainsRune("àáâä", r):
			b.WriteByte('a')
		case strings.ContainsRune("èéêë", r):
			b.WriteByte('e')
		case strings.ContainsRune("ìíîï", r):
			b.WriteByte('i')
		case strings.ContainsRune("òóôö", r):
			b.WriteByte('o')
		case strings.ContainsRune("ùúûü", r):
			b.WriteByte('u')
		default:
			under = true
		}
	}
	if b.Len() == 0 {
		return "default"
	}
	out := b.String()
	if out[0] >= '0' && out[0] <= '9' {
		out = "w_" + out
	}
	return out
}

// MentionHandles replaces each @handle of the given people in text with how the
// transport addresses them (mention), longest handle first so @lucas is not read as
// @luca + s.
func MentionHandles(text, at string, handles []string, mention func(handle string) string) string {
	hs := slices.Clone(handles)
	slices.SortFunc(hs, func(a, b string) int { return len(b) - len(a) })
	for _, h := range hs {
		text = strings.ReplaceAll(text, at+h, mention(h))
	}
	return text
}
