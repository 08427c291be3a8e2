// Package prompts holds whybot's words: one set of text/template files per language (it/,
// en/), embedded in the binary. Rule findings, clarifying questions, drafts and their next
// steps are rendered here from structured data, so the rules never produce prose and no
// English leaks into an Italian answer.
//
// Untrusted text (chat messages, report data) only ever reaches a template as data: it is
// never parsed as a template, so it cannot become a directive.
package prompts

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"
	"unicode"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/metric"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/rules"
)

//go:embed en/*.tmpl it/*.tmpl
var files embed.FS

// Languages lists the languages with a template set.
var Languages = []string{"en", "it"}

// Set is one language's parsed templates.
type Set struct {
	Lang string
	t    *template.Template
}

var load = sync.OnceValues(func() (map[string]*Set, error) {
	out := map[string]*Set{}
	for _, lang := range Languages {
		s := &Set{Lang: lang}
		funcs := template.FuncMap{
			"has": func(m map[string]any, k string) bool { _, ok := m[k]; return ok },
			"add": func(a, b int) int { return a + b },
			"map": func(kv ...any) map[string]any { // pairs of key and value, for a sub-template
				m := make(map[string]any, len(kv)/2)
				for i := 0; i+1 < len(kv); i += 2 {
					m[fmt.Sprint(kv[i])] = kv[i+1]
				}
				return m
			},
			"include": func(name string, data any) (string, error) {
				var b bytes.Buffer
				if err := s.t.ExecuteTemplate(&b, name, data); err != nil {
					return "", err
				}
				return b.String(), nil
			},
		}
		sub, err := fs.Sub(files, lang)
		if err != nil {
			return nil, err
		}
		t, err := template.New(lang).Funcs(funcs).Option("missingkey=zero").ParseFS(sub, "*.tmpl")
		if err != nil {
			return nil, fmt.Errorf("parse %s templates: %w", lang, err)
		}
		s.t = t
		out[lang] = s
	}
	return out, nil
})

// LiteralNumbers are the figures the templates of a language write themselves, outside
// their actions: the plays' own design ("4 settimane", "48 ore", "il 20% di budget in
// più"). A draft's other figures come from the data, people or the profile.
func LiteralNumbers(lang string) ([]float64, error) {
	entries, err := fs.Glob(files, lang+"/*.tmpl")
	if err != nil {
		return nil, err
	}
	var out []float64
	for _, name := range entries {
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		text := actionRe.ReplaceAllString(string(b), " ")
		for _, m := range literalRe.FindAllString(text, -1) {
			if v, err := strconv.ParseFloat(m, 64); err == nil {
				out = append(out, v)
			}
		}
	}
	return out, nil
}

var (
	actionRe  = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	literalRe = regexp.MustCompile(`\d+`)
)

// For returns the template set of a language (English when the language has none).
func For(lang string) (*Set, error) {
	sets, err := load()
	if err != nil {
		return nil, err
	}
	if s, ok := sets[lang]; ok {
		return s, nil
	}
	return sets["en"], nil
}

// Has reports whether the set defines a template.
func (s *Set) Has(name string) bool { return s.t.Lookup(name) != nil }

// Render executes a named template.
func (s *Set) Render(name string, data any) (string, error) {
	var b bytes.Buffer
	if err := s.t.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render %s/%s: %w", s.Lang, name, err)
	}
	return strings.TrimSpace(b.String()), nil
}

// Text renders a template with data, or gives its name when it cannot: for short
// interface texts, where a missing template should show rather than fail a whole message
// (the templates' tests make sure none is missing).
func (s *Set) Text(name string, data any) string {
	out, err := s.Render(name, data)
	if err != nil {
		return name
	}
	return out
}

// UI renders a short interface string ("ui.pending"), or the name when it is not defined.
func (s *Set) UI(name string) string {
	if !s.Has("ui." + name) {
		return name
	}
	out, err := s.Render("ui."+name, nil)
	if err != nil {
		return name
	}
	return out
}

// View formats values for one workspace and language; templates reach it as .V.
type View struct {
	Set      *Set
	Currency string
	People   []profile.Person
	Metrics  *metric.Catalogue // the company's metrics (nil: the built-in ones)
	profile  *profile.Profile  // for the company's own role names
}

// NewView builds the formatter for a profile in a language.
func NewView(lang string, p *profile.Profile) (View, error) {
	s, err := For(lang)
	if err != nil {
		return View{}, err
	}
	v := View{Set: s, Currency: "EUR"}
	if p != nil {
		v.Currency, v.People, v.Metrics, v.profile = p.Currency, p.People, p.Catalogue(), p
	}
	return v, nil
}

func (v View) lang() string { return v.Set.Lang }

// Name is a metric's display name.
func (v View) Name(id any) string { return v.Metrics.Name(fmt.Sprint(id), v.lang()) }

// Plural guesses whether a metric's name is plural, for the verbs that follow it: in
// Italian by its article ("i follower", "le ricerche"), in English by its ending.
func (v View) Plural(id any) bool {
	if v.lang() == "it" {
		switch v.itArticle(id) {
		case "i", "gli", "le":
			return true
		}
		return false
	}
	name, kind := v.Name(id), v.Metrics.KindOf(fmt.Sprint(id))
	return (kind == metric.Count || kind == metric.Number && !v.Metrics.Known(fmt.Sprint(id))) && strings.HasSuffix(name, "s") && !strings.HasSuffix(name, "ss")
}

// Of joins an amount to its metric's name: "1.800 € di spesa", but "50 appuntamenti"
// for a count ("of" in English).
func (v View) Of(id any) string {
	if v.Metrics.KindOf(fmt.Sprint(id)) == metric.Count {
		return ""
	}
	if v.lang() == "it" {
		return "di "
	}
	return "of "
}

// Cap capitalises the first letter.
func (v View) Cap(s string) string {
	for i, r := range s {
		return string(unicode.ToUpper(r)) + s[i+len(string(r)):]
	}
	return s
}

// Names lists metric names.
func (v View) Names(list any) string {
	ids := toStrings(list)
	if len(ids) > 12 {
		ids = append(ids[:12], "…")
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		if id == "…" {
			out[i] = id
			continue
		}
		out[i] = v.Name(id)
	}
	return strings.Join(out, ", ")
}

// Val formats a value of a metric.
func (v View) Val(id any, x any) string {
	return v.Metrics.Format(fmt.Sprint(id), toFloat(x), v.lang(), v.Currency)
}

// Pct formats a share (0.4 → 40%).
func (v View) Pct(x any) string { return metric.Percent(toFloat(x)*100, v.lang()) }

// ArtPct is a share with its Italian article: "il 40%", "l'80%" (English: just the share).
func (v View) ArtPct(x any) string {
	s := v.Pct(x)
	if v.lang() != "it" {
		return s
	}
	switch {
	case strings.HasPrefix(s, "0%") || strings.HasPrefix(s, "0,"):
		return "lo " + s
	case strings.HasPrefix(s, "8") || strings.HasPrefix(s, "11%") || strings.HasPrefix(s, "11,") || strings.HasPrefix(s, "1%") || strings.HasPrefix(s, "1,"):
		return "l'" + s
	}
	return "il " + s
}

// itArticles are the Italian articles of the catalogue's metric names that are not "il".
var itArticles = map[string]string{
	"qualified_rate": "la", "followup_rate": "la", "reach": "la", "ad_spend": "la",
	"non_branded_search": "le", "sessions": "le", "conversions": "le", "impressions": "le",
	"new_customers": "i", "customers": "i", "leads": "i", "qualified_leads": "i", "leads_followed_up": "i",
	"followers": "i", "likes": "i", "clicks": "i", "email_subscribers": "gli", "discount_rate": "lo", "nps": "l'",
}

// sourceKinds are the platforms' names, as answers say where a pulled number comes from.
var sourceKinds = map[string]string{"ga4": "Google Analytics 4", "search_console": "Search Console", "google_ads": "Google Ads",
	"meta_ads": "Meta Ads", "hubspot": "HubSpot", "sheets": "Google Sheets"}

// Pulled names the platform a value was pulled from ("Google Analytics 4, fonte ga4_web"),
// when its source says it was pulled; "" for a value from the data files or a person.
func (v View) Pulled(src string) string {
	name, ok := kpi.PulledFrom(src)
	if !ok {
		return ""
	}
	label := ""
	if v.profile != nil {
		if d, ok := v.profile.SourceByName(name); ok {
			label = sourceKinds[d.Kind]
		}
	}
	word := "source "
	if v.lang() == "it" {
		word = "fonte "
	}
	if label == "" {
		return word + name
	}
	return label + ", " + word + name
}

// ArtName is a metric's name with its Italian article: "il costo per lead qualificato",
// "la quota di lead qualificati", "i nuovi clienti" (English: "the cost per qualified lead").
func (v View) ArtName(id any) string {
	if v.lang() != "it" {
		return "the " + v.Name(id)
	}
	return joinArticle(v.itArticle(id), v.Name(id))
}

// Prep is a metric's name after an Italian preposition joined with its article: Prep "a"
// followers is "ai follower", Prep "su" non_branded_search "sulle ricerche non di brand"
// (English: "to the followers").
func (v View) Prep(prep string, id any) string {
	if v.lang() != "it" {
		return map[string]string{"a": "to", "di": "of", "su": "on", "da": "from", "in": "in"}[prep] + " the " + v.Name(id)
	}
	art := v.itArticle(id)
	return joinArticle(itPreps[prep][art], v.Name(id))
}

func joinArticle(art, name string) string {
	if strings.HasSuffix(art, "'") {
		return art + name
	}
	return art + " " + name
}

func (v View) itArticle(id any) string {
	key, name := fmt.Sprint(id), v.Name(id)
	if art, ok := itArticles[key]; ok {
		return art
	}
	if def, ok := v.Metrics.Lookup(key); ok && def.Article != "" {
		return def.Article
	}
	return guessArticle(strings.ToLower(name))
}

// guessArticle is the Italian article a name most likely takes, from its first word:
// "la quota", "i coperti", "gli appuntamenti", "le prenotazioni", "lo scontrino",
// "il tasso", "l'incasso". A company can say it with article: in company.yaml.
func guessArticle(name string) string {
	word, _, _ := strings.Cut(name, " ")
	r := []rune(word)
	if len(r) == 0 {
		return "il"
	}
	vowel := strings.ContainsRune("aeiouàèéìòù", r[0])
	impure := r[0] == 'z' || r[0] == 'x' || r[0] == 'y' || strings.HasPrefix(word, "gn") || strings.HasPrefix(word, "ps") ||
		len(r) > 1 && r[0] == 's' && !strings.ContainsRune("aeiouàèéìòù", r[1])
	last := r[len(r)-1]
	switch {
	case last == 'i' && (strings.HasSuffix(word, "zioni") || strings.HasSuffix(word, "sioni")), last == 'e' && !singularE(word):
		return "le"
	case last == 'i' && (vowel || impure):
		return "gli"
	case last == 'i':
		return "i"
	case last == 'a' && vowel:
		return "l'"
	case last == 'a':
		return "la"
	case vowel:
		return "l'"
	case impure:
		return "lo"
	}
	return "il"
}

// singularE reports whether an Italian word ending in e is most likely singular (valore,
// margine, cliente).
func singularE(word string) bool {
	for _, suf := range []string{"ore", "ine", "ale", "ente", "ante", "one", "ile"} {
		if strings.HasSuffix(word, suf) {
			return true
		}
	}
	return false
}

// itPreps are the Italian prepositions joined with the articles.
var itPreps = map[string]map[string]string{
	"a":  {"il": "al", "lo": "allo", "la": "alla", "i": "ai", "gli": "agli", "le": "alle", "l'": "all'"},
	"di": {"il": "del", "lo": "dello", "la": "della", "i": "dei", "gli": "degli", "le": "delle", "l'": "dell'"},
	"su": {"il": "sul", "lo": "sullo", "la": "sulla", "i": "sui", "gli": "sugli", "le": "sulle", "l'": "sull'"},
	"da": {"il": "dal", "lo": "dallo", "la": "dalla", "i": "dai", "gli": "dagli", "le": "dalle", "l'": "dall'"},
	"in": {"il": "nel", "lo": "nello", "la": "nella", "i": "nei", "gli": "negli", "le": "nelle", "l'": "nell'"},
}

// Dei is "dei 78" or "degli 83": a count of things with the Italian "di" and the article
// its spoken number takes (English: "the 78").
func (v View) Dei(n any) string { return v.article(n, "dei ", "degli ", "the ") }

// The is "i 78" or "gli 83" (English: "the 78").
func (v View) The(n any) string { return v.article(n, "i ", "gli ", "the ") }

func (v View) article(n any, it, itVowel, en string) string {
	f := toFloat(n)
	s := metric.Format("leads", f, v.lang(), v.Currency)
	if v.lang() != "it" {
		return en + s
	}
	if vowelNumber(f) {
		return itVowel + s
	}
	return it + s
}

// vowelNumber reports whether an Italian number is spoken beginning with a vowel: otto,
// undici, ottanta…, ottocento, ottomila, undicimila.
func vowelNumber(f float64) bool {
	g := math.Floor(math.Abs(f))
	thousands := false
	for g >= 1000 {
		g, thousands = math.Floor(g/1000), true
	}
	d := strconv.FormatFloat(g, 'f', 0, 64)
	return strings.HasPrefix(d, "8") || g == 11 || (g == 1 && !thousands)
}

// SVal formats a change of a metric with its sign: "+7", "−€120".
func (v View) SVal(id any, x any) string {
	f := toFloat(x)
	if f > 0 {
		return "+" + v.Val(id, f)
	}
	if f < 0 {
		return "−" + v.Val(id, -f)
	}
	return v.Val(id, f)
}

// Drivers lists the parts that drove a change with their contribution: "Google +7,
// Facebook +7, Linkedin +3".
func (v View) Drivers(id any, list any) string {
	items, _ := list.([]any)
	var parts []string
	for _, it := range items {
		m, _ := it.(map[string]any)
		parts = append(parts, v.Cap(v.Label(m["part"]))+" "+v.SVal(id, m["delta"]))
	}
	return strings.Join(parts, ", ")
}

// SPts is a part of a ratio's change with its sign: percentage points for a rate ("−2,1
// punti"), the metric's own unit otherwise ("+€12").
func (v View) SPts(id any, x any) string {
	if v.Metrics.KindOf(fmt.Sprint(id)) != metric.Ratio {
		return v.SVal(id, x)
	}
	f := toFloat(x)
	s := metric.Decimal(math.Abs(f), 1, v.lang())
	sign := "+"
	if f < 0 {
		sign = "−"
	}
	return sign + s + " " + v.Set.UI("points")
}

// Label is a breakdown's label for people: a channel the templates know in the view's
// language ("paid_social": "social a pagamento"), any other as the data wrote it.
func (v View) Label(part any) string {
	p := fmt.Sprint(part)
	if v.Set.Has("ui.channel." + p) {
		return v.Set.UI("channel." + p)
	}
	return p
}

// Rough rounds an estimate for saying it: a share to a whole percent (0.3846: 0.38), a
// small one below 10% to a tenth of a percent (0.0227: 2.3%, not 2%), any other figure of
// 10 or more to a whole number. "circa il 38%", not "circa il 38,5%".
func (v View) Rough(x any) float64 {
	f := toFloat(x)
	switch {
	case math.Abs(f) < 0.1:
		return math.Round(f*1000) / 1000
	case math.Abs(f) <= 1:
		return math.Round(f*100) / 100
	case math.Abs(f) >= 10:
		return math.Round(f)
	}
	return f
}

// Share says a range of shares a person gave in words, in the view's language, never as a
// figure: "meno della metà", "quasi tutti". A range whose ends the person gave says them:
// "tra il 30% e il 40%", "almeno il 40%".
func (v View) Share(low, high any, bounds any) string {
	lo, hi := toFloat(low), toFloat(high)
	if b, _ := bounds.(bool); b {
		switch {
		case lo <= 0:
			return v.Set.Text("ui.share.at_most", map[string]any{"V": v, "X": hi})
		case hi >= 1:
			return v.Set.Text("ui.share.at_least", map[string]any{"V": v, "X": lo})
		}
		return v.Set.Text("ui.share.between", map[string]any{"V": v, "Lo": lo, "Hi": hi})
	}
	switch {
	case hi <= 0.1:
		return v.Set.UI("share.almost_none")
	case hi <= 0.3:
		return v.Set.UI("share.few")
	case hi < 0.5:
		return v.Set.UI("share.under_half")
	case lo >= 0.85:
		return v.Set.UI("share.almost_all")
	case lo > 0.5:
		return v.Set.UI("share.most")
	case lo >= 0.5:
		return v.Set.UI("share.half_or_more")
	}
	return v.Set.UI("share.some")
}

// Reading says what was read from a person's answer: "circa il 38% (circa 30 su 78)",
// "il 40%", "meno della metà".
func (v View) Reading(r *rules.Reading) string {
	if r == nil {
		return ""
	}
	if r.Ranged() {
		return v.Share(r.Low, r.High, r.Bounds)
	}
	return v.Set.Text("ui.share.point", map[string]any{"V": v, "R": r})
}

// SPct formats a change already in percent with its sign (+30%).
func (v View) SPct(x any) string { return metric.SignedPercent(toFloat(x), v.lang()) }

// Period writes a period label for people.
func (v View) Period(label any) string {
	p, err := kpi.ParsePeriod(fmt.Sprint(label))
	if err != nil {
		return fmt.Sprint(label)
	}
	return p.Label(v.lang())
}

// Span writes the stretch of time a direct question asked about, with its preposition:
// "a ottobre 2026", "nel terzo trimestre 2026 (luglio–settembre)", "nel 2025", "da inizio
// 2026 a ottobre" ("in October 2026", "in Q3 2026 (July–September)", …).
func (v View) Span(kind, from, to any) string {
	f, err1 := time.Parse("2006-01", fmt.Sprint(from))
	t, err2 := time.Parse("2006-01", fmt.Sprint(to))
	if err1 != nil || err2 != nil {
		return fmt.Sprint(from)
	}
	month := func(x time.Time) string { // the month's name alone
		name := kpi.Period{Grain: kpi.Month, Start: x}.Label(v.lang())
		return strings.TrimSuffix(name, " "+strconv.Itoa(x.Year()))
	}
	data := map[string]any{"V": v, "From": v.Period(f.Format("2006-01")), "To": v.Period(t.Format("2006-01")), "Year": f.Year(),
		"Q": (int(f.Month())-1)/3 + 1, "FromMonth": month(f), "ToMonth": month(t)}
	return v.Set.Text("ui.span."+fmt.Sprint(kind), data)
}

// At is a period with the Italian "a" before it, "ad" before a vowel: "a ottobre 2026",
// "ad agosto 2026" (English: "in October 2026").
func (v View) At(label any) string {
	name := v.Period(label)
	if v.lang() != "it" {
		return "in " + name
	}
	if strings.HasPrefix(name, "a") {
		return "ad " + name
	}
	return "a " + name
}

// Month writes a YYYY-MM month.
func (v View) Month(label any) string { return v.Period(label) }

// Periods lists period labels.
func (v View) Periods(list any) string {
	ps := toStrings(list)
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = v.Period(p)
	}
	return v.join(out)
}

// Who is a person's first name, from a handle.
func (v View) Who(handle any) string {
	h := fmt.Sprint(handle)
	for _, p := range v.People {
		if p.Handle == h {
			return p.FirstName()
		}
	}
	return h
}

// Role is a role's localized name: the company's own label for its own roles.
func (v View) Role(role string) string {
	if v.profile != nil {
		if l := v.profile.RoleLabel(role, v.lang()); l != "" {
			return l
		}
	}
	return v.Set.UI("role." + role)
}

// OwnRole is how the company names the role of the person with handle, when it is one of
// the company's own roles (reception); "" for a built-in role.
func (v View) OwnRole(handle any) string {
	h := fmt.Sprint(handle)
	for _, p := range v.People {
		if p.Handle == h && v.profile != nil {
			return v.profile.RoleLabel(p.Role, v.lang())
		}
	}
	return ""
}

// Doer is who does a built-in role's work, as a sentence names them: the first name of
// the person whose own role carries it (Sara, at the reception), else the role's phrase
// ("il commerciale", "sales").
func (v View) Doer(role string) string {
	if v.profile != nil {
		if x, ok := v.profile.ByRole(role); ok && x.Role != role {
			return x.FirstName()
		}
	}
	return v.Set.UI("doer." + role)
}

// Ask is how a question addresses a person: the first name, with the company's name for
// their role when it has its own ("Sara (reception)").
func (v View) Ask(handle any) string {
	if r := v.OwnRole(handle); r != "" {
		return v.Who(handle) + " (" + r + ")"
	}
	return v.Who(handle)
}

// Groups lists the spellings of inconsistent sources: "facebook, Facebook, fb".
func (v View) Groups(groups any) string {
	var parts []string
	rv := reflect.ValueOf(groups)
	if rv.Kind() != reflect.Slice {
		return ""
	}
	for i := 0; i < rv.Len(); i++ {
		g, ok := rv.Index(i).Interface().(map[string]any)
		if !ok {
			continue
		}
		parts = append(parts, strings.Join(toStrings(g["variants"]), ", "))
	}
	return strings.Join(parts, "; ")
}

// Evidence writes data points: "average discount 18% (October 2026)".
func (v View) Evidence(ev []rules.Datum) string {
	out := make([]string, 0, len(ev))
	for _, d := range ev {
		s := v.Name(d.Metric) + " " + v.Val(d.Metric, d.Value)
		if d.Period != "" {
			s += " (" + v.Period(d.Period) + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

// Stages lists funnel stages.
func (v View) Stages(list any) string {
	st := toStrings(list)
	out := make([]string, len(st))
	for i, s := range st {
		out[i] = v.Set.UI("stage." + s)
	}
	return v.join(out)
}

// StageKPIs lists the KPIs named for stages.
func (v View) StageKPIs(m any) string {
	mm, ok := m.(map[string][]string)
	if !ok {
		return ""
	}
	var ids []string
	keys := make([]string, 0, len(mm))
	for k := range mm {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return stageIndex(keys[i]) < stageIndex(keys[j]) })
	for _, k := range keys {
		ids = append(ids, mm[k]...)
	}
	if len(ids) == 0 {
		return ""
	}
	return v.Names(ids)
}

func stageIndex(s string) int {
	for i, x := range profile.Stages {
		if x == s {
			return i
		}
	}
	return 99
}

// Same reports whether two figures agree to the precision people write them (within
// half a percent of the larger).
func (v View) Same(a, b any) bool {
	x, y := toFloat(a), toFloat(b)
	return math.Abs(x-y) <= 0.005*math.Max(math.Abs(x), math.Abs(y))
}

// Last is the last item of a list.
func (v View) Last(list any) string {
	items := toStrings(list)
	if len(items) == 0 {
		return ""
	}
	return items[len(items)-1]
}

// Count is the length of a list.
func (v View) Count(list any) int { return len(toStrings(list)) }

// Signals lists strategy warning signals.
func (v View) Signals(list any) string {
	s := toStrings(list)
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = v.Set.UI("signal." + x)
	}
	return v.join(out)
}

func (v View) join(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + v.Set.UI("and") + " " + items[len(items)-1]
}

func toStrings(x any) []string {
	switch t := x.(type) {
	case nil:
		return nil
	case []string:
		return t
	case string:
		return []string{t}
	}
	rv := reflect.ValueOf(x)
	if rv.Kind() != reflect.Slice {
		return []string{fmt.Sprint(x)}
	}
	out := make([]string, rv.Len())
	for i := range out {
		out[i] = fmt.Sprint(rv.Index(i).Interface())
	}
	return out
}

func toFloat(x any) float64 {
	switch t := x.(type) {
	case float64:
		return t
	case *float64:
		if t == nil {
			return math.NaN()
		}
		return *t
	case float32:
		return float64(t)
	case int:
		return float64(t)
	case int64:
		return float64(t)
	}
	var f float64
	fmt.Sscan(fmt.Sprint(x), &f)
	return f
}

// FindingData is what a finding template sees.
type FindingData struct {
	V View
	F rules.Finding
	P map[string]any
}

// QuestionData is what a question template sees.
type QuestionData struct {
	V      View
	Q      rules.Question
	P      map[string]any
	Formal bool // the person asked is addressed with "Lei"
}

// FindingMessage renders a finding in the view's language.
func (v View) FindingMessage(f rules.Finding) (string, error) {
	p := f.Params
	if p == nil {
		p = map[string]any{}
	}
	return v.Set.Render("finding."+string(f.Rule), FindingData{V: v, F: f, P: p})
}

// Verdict renders the short form of a finding that answers the question itself (is the
// figure normal? what drove it?), for right after the figure in a draft; brief is the
// form for a summary, where the set has one.
func (v View) Verdict(f rules.Finding, brief bool) (string, error) {
	name := "verdict." + string(f.Rule)
	if brief && v.Set.Has(name+".brief") {
		name += ".brief"
	}
	return v.Set.Render(name, FindingData{V: v, F: f, P: f.Params})
}

// Brief is a finding's line for a summary: its brief form where the set has one, else
// its message.
func (v View) Brief(f rules.Finding) (string, error) {
	if !v.Set.Has("brief." + string(f.Rule)) {
		return f.Message, nil
	}
	return v.Set.Render("brief."+string(f.Rule), FindingData{V: v, F: f, P: f.Params})
}

// QuestionText renders a clarifying question in the view's language.
func (v View) QuestionText(q rules.Question) (string, error) {
	p := q.Params
	if p == nil {
		p = map[string]any{}
	}
	formal := false
	for _, x := range v.People {
		if x.Handle == q.To {
			formal = x.Tone == "formal"
		}
	}
	return v.Set.Render("question."+string(q.Topic), QuestionData{V: v, Q: q, P: p, Formal: formal})
}

// ReaskText renders a number question put again after a reply that gave no share for it,
// with an example of an answer that works, in the person's tone; number is the bare figure
// the reply gave, when it could be a count or a percentage.
func (v View) ReaskText(q rules.Question, number float64, formal bool) (string, error) {
	p := q.Params
	if p == nil {
		p = map[string]any{}
	}
	name := "reask." + string(q.Topic)
	if number > 0 {
		name = "reask.ambiguous"
	}
	return v.Set.Render(name, map[string]any{"V": v, "Q": q, "P": p, "N": number, "Formal": formal})
}

// ReadbackText renders what was read from a person's answer, for them to confirm or
// correct.
func (v View) ReadbackText(f rules.Fact, leads float64, formal bool) (string, error) {
	return v.Set.Render("readback."+string(f.Topic), map[string]any{"V": v, "F": f, "R": f.Reading, "Leads": leads, "Formal": formal})
}

// FactView is a fact as shown in a draft: a share as it was read, or a free-text answer
// in the person's words.
type FactView struct {
	Said    bool // a finding of the draft says it already
	Name    string
	Role    string
	Topic   string
	Reading *rules.Reading
	Text    string
	Clipped bool // Text is the start of a longer answer
}

// OpenView is a question still open when the draft was written.
type OpenView struct {
	Name  string // the first name of the person asked
	Topic string
	Text  string // the question as it was put
}

// DraftData is what the draft template sees.
type DraftData struct {
	V         View
	Formal    bool
	Detailed  bool
	Kind      string // what was asked: why | goal | status
	Period    string
	Main      *rules.Observed
	Normal    string // whether the figure asked about is within its usual range
	Drivers   string // what drove its change
	Metric    string
	Premise   []string
	ReadAs    string // the question's words read as a metric's name with a typo ("contati")
	Facts     []FactView
	Key       []string // at most three findings about the metric asked, and any critical one
	Report    []string // a whole report's numbers, most important first
	Others    []string // the report's other metrics, only named
	Open      []OpenView
	Play      *rules.Play
	OwnerRole string
	OwnerName string
	Followup  float64 // follow-up share to aim for
}

// Fact says what a person told the bot, for a draft: a share as it was read, or a free-text
// answer quoted.
func (v View) Fact(f FactView) string {
	return v.Set.Text("team.fact", map[string]any{"V": v, "F": f})
}

// UI renders a short interface string of the view's language.
func (v View) UI(name string) string { return v.Set.UI(name) }

// Draft renders a draft answer.
func (v View) Draft(d DraftData) (string, error) {
	d.V = v
	return v.Set.Render("draft", d)
}
