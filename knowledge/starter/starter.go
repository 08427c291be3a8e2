// Package starter writes a starting workspace for a kind of business: a company.yaml with
// the metrics, funnel, vanity list and roles such a business has, a goal and a limit to
// change, its people, and an example data file that validates with it.
package starter

import (
	"bytes"
	"embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/workspace"
)

//go:embed profiles/*.tmpl
var files embed.FS

// Industries are the kinds of business a starting profile exists for.
var Industries = []string{"b2b", "ecommerce", "dental", "restaurant", "agency"}

// Person is someone the starting profile lists.
type Person struct {
	Handle, Name, Role string
	Reviewer           bool
}

// Options say what to write.
type Options struct {
	Company  string
	Industry string // one of Industries
	Lang     string // it | en
	People   []Person
	// Goal and Limit replace the industry's example goal and limit when given.
	Goal  *profile.Goal
	Limit *profile.Limit
}

// Check reports what is wrong with the options, in words a person can act on.
func (o Options) Check() error {
	switch {
	case strings.TrimSpace(o.Company) == "":
		return fmt.Errorf("name the company: --company \"Studio Dentistico Sorriso\"")
	case !slices.Contains(Industries, o.Industry):
		return fmt.Errorf("%q is not an industry whybot has a starting profile for: use one of %s", o.Industry, strings.Join(Industries, ", "))
	case o.Lang != "it" && o.Lang != "en":
		return fmt.Errorf("%q is not a language whybot speaks: use it or en", o.Lang)
	}
	return nil
}

// DefaultPeople are the people a starting profile lists for an industry when none are given.
func DefaultPeople(industry string) []Person {
	agency := Person{Handle: "luca", Name: "Luca Neri", Role: "agency", Reviewer: true}
	switch industry {
	case "dental":
		return []Person{{"elena", "Elena Conti", "owner", false}, {"sara", "Sara Galli", "receptionist", false}, {"paolo", "Paolo Ferri", "responsabile clinica", false}, agency}
	case "ecommerce":
		return []Person{{"anna", "Anna Rossi", "owner", false}, {"giulia", "Giulia Bianchi", "marketing", false}, {"marta", "Marta Gallo", "customer care", false}, agency}
	case "restaurant":
		return []Person{{"franco", "Franco Russo", "owner", false}, {"chiara", "Chiara Costa", "responsabile di sala", false}, agency}
	case "agency":
		return []Person{{"anna", "Anna Rossi", "owner", true}, {"davide", "Davide Moretti", "account manager", false}, {"elisa", "Elisa Ricci", "new business", false}}
	}
	return []Person{{"anna", "Anna Rossi", "owner", false}, {"giulia", "Giulia Bianchi", "marketing", false}, {"marco", "Marco Verdi", "area manager", false}, agency}
}

// Profile renders the starting company.yaml.
func Profile(o Options) ([]byte, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if len(o.People) == 0 {
		o.People = DefaultPeople(o.Industry)
	}
	t := template.New("profile").Funcs(template.FuncMap{
		"t": func(it, en string) string {
			if o.Lang == "it" {
				return it
			}
			return en
		},
		"q": quote,
	})
	t, err := t.ParseFS(files, "profiles/profile.yaml.tmpl", "profiles/"+o.Industry+".yaml.tmpl")
	if err != nil {
		return nil, fmt.Errorf("starting profile: %w", err)
	}
	var b bytes.Buffer
	data := map[string]any{"Company": o.Company, "Industry": o.Industry, "Lang": o.Lang, "Workspace": profile.Slug(o.Company), "People": o.People}
	if err := t.ExecuteTemplate(&b, "profile", data); err != nil {
		return nil, fmt.Errorf("starting profile: %w", err)
	}
	out := b.Bytes()
	if o.Goal != nil {
		out = replaceBlock(out, "goals:", fmt.Sprintf("  - {id: %s, metric: %s, target: %s%s}\n", o.Goal.ID, quote(o.Goal.Metric),
			strconv.FormatFloat(o.Goal.Target, 'f', -1, 64), optional("direction", o.Goal.Direction)+optional("by", o.Goal.By)+optional("text", o.Goal.Text)))
	}
	if o.Limit != nil {
		out = replaceBlock(out, "limits:", fmt.Sprintf("  - {id: %s, text: %s, rule: %s}\n", o.Limit.ID, quote(o.Limit.Text), quote(o.Limit.Rule)))
	}
	return out, nil
}

func optional(field, v string) string {
	if v == "" {
		return ""
	}
	return ", " + field + ": " + quote(v)
}

// replaceBlock replaces the entries under a top-level key (the lines after it that start
// with "  - ") with entries.
func replaceBlock(yaml []byte, key, entries string) []byte {
	lines := strings.SplitAfter(string(yaml), "\n")
	var out strings.Builder
	for i := 0; i < len(lines); i++ {
		out.WriteString(lines[i])
		if strings.HasPrefix(lines[i], key) {
			for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "  - ") {
				i++
			}
			out.WriteString(entries)
		}
	}
	return []byte(out.String())
}

// quote writes s as a YAML double-quoted scalar (JSON strings are valid YAML), so a
// company's name can never become YAML structure.
func quote(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "<=" stays readable
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// Validate builds the workspace the options would write (profile, data and rules) in a
// temporary folder: the problems it has, or nil.
func Validate(o Options) error {
	tmp, err := os.MkdirTemp("", "whybot-init-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	p, d, err := write(tmp, o)
	if err != nil {
		return err
	}
	_, err = workspace.Load(p, []string{d})
	return err
}

// Write creates dir/company.yaml and dir/kpis.csv; it refuses to overwrite existing files,
// and writes nothing unless the profile validates against the data it writes.
func Write(dir string, o Options) (profilePath, dataPath string, err error) {
	if err := Validate(o); err != nil {
		return "", "", err
	}
	return write(dir, o)
}

func write(dir string, o Options) (profilePath, dataPath string, err error) {
	prof, err := Profile(o)
	if err != nil {
		return "", "", err
	}
	return sample.WriteWorkspace(dir, prof, Data(o.Industry, o.Lang))
}

// series is one metric of the example data: its value in the first month, its growth per
// month, how the last month differs, and its split by channel (none: one total).
type series struct {
	metric   string
	base     float64
	trend    float64
	last     float64
	channels map[string]float64
	decimals bool // a share (0.04), written in the locale's style
}

var data = map[string][]series{
	"b2b": {
		{metric: "leads", base: 56, trend: 0.004, last: 1.3, channels: map[string]float64{"search": 0.45, "linkedin": 0.25, "paid_social": 0.2, "email": 0.1}},
		{metric: "new_customers", base: 5, last: 1}, {metric: "ad_spend", base: 1800, last: 1.03}, {metric: "revenue", base: 42000, trend: 0.005, last: 1.04},
		{metric: "sessions", base: 2400, trend: 0.006, last: 1.12}, {metric: "non_branded_search", base: 320, trend: 0.01, last: 1.05},
		{metric: "followers", base: 1200, trend: 0.04, last: 1.08}, {metric: "discount_rate", base: 0.08, last: 1.1, decimals: true},
	},
	"ecommerce": {
		{metric: "sessions", base: 18000, trend: 0.006, last: 1.3, channels: map[string]float64{"google": 0.4, "meta": 0.3, "email": 0.1, "direct": 0.2}},
		{metric: "orders", base: 420, trend: 0.004, last: 1.12}, {metric: "revenue", base: 25200, trend: 0.005, last: 1.1},
		{metric: "ad_spend", base: 4200, last: 1.25}, {metric: "new_customers", base: 260, trend: 0.004, last: 1.15},
		{metric: "returning_customers", base: 160, trend: 0.003, last: 1.02}, {metric: "followers", base: 5400, trend: 0.03, last: 1.05},
		{metric: "discount_rate", base: 0.12, last: 1.1, decimals: true},
	},
	"dental": {
		{metric: "leads", base: 90, trend: 0.005, last: 1.3, channels: map[string]float64{"google": 0.5, "facebook": 0.3, "passaparola": 0.2}},
		{metric: "new_patients", base: 28, trend: 0.005, last: 1.1}, {metric: "appointments", base: 420, trend: 0.003, last: 1.05},
		{metric: "no_shows", base: 38, trend: 0.01, last: 1.2}, {metric: "ad_spend", base: 1200, last: 1.1},
		{metric: "sessions", base: 3100, trend: 0.006, last: 1.15}, {metric: "followers", base: 1500, trend: 0.03, last: 1.06},
	},
	"restaurant": {
		{metric: "covers", base: 1900, trend: 0.004, last: 1.3, channels: map[string]float64{"walk_in": 0.35, "thefork": 0.3, "telefono": 0.25, "google": 0.1}},
		{metric: "bookings", base: 620, trend: 0.004, last: 1.25}, {metric: "no_shows", base: 40, trend: 0.01, last: 1.4},
		{metric: "revenue", base: 52000, trend: 0.004, last: 1.2}, {metric: "ad_spend", base: 600, last: 1.1},
		{metric: "followers", base: 3100, trend: 0.03, last: 1.05},
	},
	"agency": {
		{metric: "leads", base: 30, trend: 0.004, last: 1.3, channels: map[string]float64{"referral": 0.5, "linkedin": 0.3, "website": 0.2}},
		{metric: "deals", base: 9, last: 1.1}, {metric: "new_customers", base: 3, last: 1}, {metric: "revenue", base: 38000, trend: 0.004, last: 1.02},
		{metric: "ad_spend", base: 900, last: 1.1}, {metric: "retainer_clients", base: 24, trend: 0.004, last: 1},
		{metric: "churn", base: 0.04, last: 1.25, decimals: true}, {metric: "followers", base: 2200, trend: 0.03, last: 1.05},
	},
}

// Data is the example KPI data of an industry: 14 months in long form (period, metric,
// value, channel), the last month's driver up about 30%, shares written as lang writes
// numbers.
func Data(industry, lang string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"period", "metric", "value", "channel"})
	n := len(sample.Months)
	for i, month := range sample.Months {
		for _, s := range data[industry] {
			v := s.base * (1 + s.trend*float64(i)) * (1 + wiggle(i, s.metric))
			if i == n-1 {
				v *= s.last
			}
			if len(s.channels) == 0 {
				w.Write([]string{month, s.metric, number(v, s.decimals, lang), ""})
				continue
			}
			chans := make([]string, 0, len(s.channels))
			for c := range s.channels {
				chans = append(chans, c)
			}
			sort.Strings(chans)
			for _, c := range chans {
				w.Write([]string{month, s.metric, number(v*s.channels[c], false, lang), c})
			}
		}
	}
	w.Flush()
	return b.Bytes()
}

// wiggle is a small, fixed month-to-month variation (±4%).
func wiggle(i int, metric string) float64 {
	return float64((i*37+len(metric)*11)%9-4) / 100
}

func number(v float64, decimals bool, lang string) string {
	if !decimals {
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	}
	s := strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
	if lang == "it" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}
