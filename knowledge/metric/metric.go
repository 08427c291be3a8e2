// Package metric is whybot's vocabulary of marketing metrics: stable ids, localized display
// names, synonyms in Italian and English, which direction is good, and the metrics that are
// derived from others (cost per lead = ad spend / leads, and so on).
//
// A company's profile can add synonyms through its glossary; metrics that are not in the
// catalogue are still accepted from data files, with their id as display name.
package metric

import (
	"sort"
	"strings"
	"unicode"
)

// Kind says how a value is formatted and whether it can be summed across breakdown rows.
type Kind int

// Kinds of metric value.
const (
	Count   Kind = iota // whole things: leads, customers, followers
	Money               // an amount in the company's currency
	Ratio               // a share between 0 and 1, shown as a percentage
	Number              // any other number
	Seconds             // a duration in seconds

	// KindUnset marks a company's own metric that does not say its kind: it is guessed
	// from the id, or kept from the built-in metric it refines.
	KindUnset Kind = -1
)

// Better tells which way a metric should move.
type Better int

// Directions in which a metric is better.
const (
	Neutral Better = iota
	Up
	Down

	// BetterUnset marks a company's own metric that does not say which way is good.
	BetterUnset Better = -1
)

// Def describes one metric: the built-in catalogue's or a company's own (metrics: in
// company.yaml).
type Def struct {
	ID       string            `json:"id"`
	Kind     Kind              `json:"-"`
	Better   Better            `json:"-"`
	Names    map[string]string `json:"names"`              // language → display name
	Synonyms []string          `json:"synonyms,omitempty"` // lower-case phrases in any language
	// Formula computes the metric from others (expr-lang over metric ids) when the data
	// does not give it: no_shows / appointments.
	Formula    string `json:"formula,omitempty"`
	Decisional bool   `json:"decisional,omitempty"` // a KPI decisions are taken on
	Vanity     bool   `json:"vanity,omitempty"`     // looks good, decides nothing
	Stage      string `json:"stage,omitempty"`      // funnel stage: awareness, consideration, conversion, retention
	Article    string `json:"article,omitempty"`    // the Italian article of its name (il, lo, la, l', i, gli, le); empty: guessed
	// Source is where the metric is defined: "built-in" or "company.yaml:12".
	Source string `json:"source"`
}

// DefaultVanity are the metrics treated as vanity metrics when a profile names none.
var DefaultVanity = []string{"followers", "likes", "impressions", "reach", "ctr"}

func d(id string, k Kind, b Better, it, en string, syn ...string) Def {
	return Def{ID: id, Kind: k, Better: b, Names: map[string]string{"it": it, "en": en}, Synonyms: syn}
}

var catalogue = []Def{
	d("leads", Count, Up, "lead", "leads", "lead", "leads", "contatti", "contacts", "richieste", "enquiries", "inquiries"),
	d("qualified_leads", Count, Up, "lead qualificati", "qualified leads", "lead qualificati", "lead qualificato", "qualified leads", "qualified lead", "mql", "sql", "contatti qualificati"),
	d("leads_followed_up", Count, Up, "lead ricontattati", "leads followed up", "lead ricontattati", "leads followed up", "leads contacted", "lead richiamati", "follow-up", "follow up", "followup"),
	d("qualified_rate", Ratio, Up, "quota di lead qualificati", "share of qualified leads", "qualified rate", "tasso di qualificazione", "lead quality", "qualità dei lead", "qualita dei lead"),
	d("followup_rate", Ratio, Up, "quota di lead ricontattati", "share of leads followed up", "followup rate", "follow-up rate", "tasso di ricontatto"),
	d("new_customers", Count, Up, "nuovi clienti", "new customers", "new customers", "nuovi clienti", "clienti nuovi", "customers acquired"),
	d("customers", Count, Up, "clienti", "customers", "customers", "clienti"),
	d("ad_spend", Money, Neutral, "spesa pubblicitaria", "ad spend", "ad spend", "spend", "spesa", "spesa pubblicitaria", "spesa ads", "budget ads", "advertising spend", "speso", "spent", "spending", "spendiamo", "spendere", "investito in pubblicità"),
	d("revenue", Money, Up, "fatturato", "revenue", "revenue", "fatturato", "ricavi", "sales revenue", "vendite in euro"),
	d("contribution_margin", Money, Up, "margine di contribuzione", "contribution margin", "contribution margin", "margine di contribuzione", "margine"),
	d("cost_per_lead", Money, Down, "costo per lead", "cost per lead", "cost per lead", "costo per lead", "cpl", "costo per contatto"),
	d("cost_per_qualified_lead", Money, Down, "costo per lead qualificato", "cost per qualified lead", "cost per qualified lead", "costo per lead qualificato", "cpql", "costo per contatto qualificato"),
	d("cac", Money, Down, "costo di acquisizione cliente (CAC)", "customer acquisition cost (CAC)", "cac", "customer acquisition cost", "costo di acquisizione", "costo acquisizione cliente", "costo di acquisizione cliente", "acquisition cost"),
	d("cpa", Money, Down, "costo per acquisizione (CPA)", "cost per acquisition (CPA)", "cpa", "cost per acquisition", "costo per acquisizione", "costo per conversione", "cost per conversion"),
	d("conversions", Count, Up, "conversioni", "conversions", "conversions", "conversioni"),
	d("conversion_rate", Ratio, Up, "tasso di conversione", "conversion rate", "conversion rate", "tasso di conversione"),
	d("roas", Number, Up, "ROAS", "ROAS", "roas", "return on ad spend", "ritorno sulla spesa pubblicitaria"),
	d("sessions", Count, Up, "sessioni", "sessions", "sessions", "sessioni", "visits", "visite", "traffic", "traffico"),
	d("engaged_sessions", Count, Up, "sessioni con engagement", "engaged sessions", "engaged sessions", "sessioni con engagement"),
	d("users", Count, Up, "utenti", "users", "users", "utenti", "total users", "utenti totali", "active users", "utenti attivi"),
	d("new_users", Count, Up, "nuovi utenti", "new users", "new users", "nuovi utenti"),
	d("organic_clicks", Count, Up, "clic dalla ricerca organica", "organic search clicks", "organic clicks", "clic organici", "search clicks"),
	d("search_impressions", Count, Neutral, "impression nella ricerca", "search impressions", "search impressions", "impressioni nella ricerca"),
	d("avg_position", Number, Down, "posizione media", "average position", "average position", "posizione media", "avg position"),
	d("deals", Count, Up, "trattative", "deals", "deals", "trattative", "opportunità", "opportunities"),
	d("organic_sessions", Count, Up, "traffico organico", "organic traffic", "organic traffic", "traffico organico", "organic sessions", "sessioni organiche"),
	d("non_branded_search", Count, Up, "ricerche non di brand", "non-branded search demand", "non branded search", "non-branded search", "ricerche non brand", "ricerche non di brand", "domanda non di brand"),
	d("avg_time_on_page", Seconds, Neutral, "tempo medio sulla pagina", "average time on page", "time on page", "tempo sulla pagina", "tempo medio sulla pagina", "average time on page"),
	d("followers", Count, Neutral, "follower", "followers", "followers", "follower", "seguaci", "fan"),
	d("likes", Count, Neutral, "like", "likes", "likes", "mi piace"),
	d("impressions", Count, Neutral, "impression", "impressions", "impressions", "impression", "visualizzazioni"),
	d("reach", Count, Neutral, "copertura", "reach", "reach", "copertura"),
	d("clicks", Count, Neutral, "clic", "clicks", "clicks", "click", "clic"),
	d("ctr", Ratio, Neutral, "CTR", "CTR", "ctr", "click-through rate", "click through rate", "tasso di clic"),
	d("repeat_rate", Ratio, Up, "tasso di riacquisto", "repeat rate", "repeat rate", "tasso di riacquisto", "riacquisti", "repeat purchase rate"),
	d("ltv", Money, Up, "valore nel tempo del cliente (LTV)", "customer lifetime value (LTV)", "ltv", "lifetime value", "clv", "valore del cliente"),
	d("churn", Ratio, Down, "tasso di abbandono (churn)", "churn", "churn", "churn rate", "tasso di abbandono", "abbandono"),
	d("discount_rate", Ratio, Down, "sconto medio", "average discount", "discount rate", "discount", "sconto", "sconti", "sconto medio", "tasso di sconto"),
	d("return_rate", Ratio, Down, "tasso di reso", "return rate", "return rate", "resi", "tasso di reso", "returns"),
	d("email_subscribers", Count, Up, "iscritti alla newsletter", "newsletter subscribers", "newsletter subscribers", "iscritti", "iscritti newsletter", "subscribers"),
	d("nps", Number, Up, "NPS", "NPS", "nps", "net promoter score"),
}

// The package functions below answer from the built-in catalogue; a company's workspace
// answers from its own Catalogue (Builtin extended with its metrics:).

// Lookup returns the built-in catalogue entry for id.
func Lookup(id string) (Def, bool) { return builtin.Lookup(id) }

// Known reports whether id is in the built-in catalogue.
func Known(id string) bool { return builtin.Known(id) }

// IDs returns every built-in id, sorted.
func IDs() []string { return builtin.IDs() }

// Name is the display name of id in lang ("it" or "en"); unknown ids are shown with spaces.
func Name(id, lang string) string { return builtin.Name(id, lang) }

// KindOf is the kind of id; unknown metrics are guessed from their id.
func KindOf(id string) Kind { return builtin.KindOf(id) }

// BetterOf tells which way id should move (Neutral when unknown).
func BetterOf(id string) Better { return builtin.BetterOf(id) }

// Additive reports whether breakdown rows of id can be summed into a total.
func Additive(id string) bool { return builtin.Additive(id) }

// IsDerived reports whether id is computed from other metrics.
func IsDerived(id string) bool { return builtin.IsDerived(id) }

// Normalize turns a free-form metric name into an id-like key: lower case, accents kept,
// runs of spaces, dashes and dots folded into one underscore.
func Normalize(s string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
			continue
		}
		under = true
	}
	return b.String()
}

// Resolver maps names (ids, catalogue synonyms, a profile's glossary) to metric ids.
type Resolver struct {
	names map[string]string // normalized name → id
	cat   *Catalogue
}

// NewResolver builds a resolver from the built-in catalogue plus glossary (id → synonyms).
func NewResolver(glossary map[string][]string) *Resolver { return builtin.Resolver(glossary) }

// Resolver builds a resolver from the catalogue plus glossary (id → synonyms). A
// company's own metrics win over built-in synonyms, and glossary entries over both.
func (c *Catalogue) Resolver(glossary map[string][]string) *Resolver {
	c = c.orBuiltin()
	r := &Resolver{names: map[string]string{}, cat: c}
	for _, def := range c.defs {
		r.names[def.ID] = def.ID
	}
	for _, def := range c.defs { // a company's own names first: they win over built-in synonyms
		if def.Source == SourceBuiltin {
			continue
		}
		for _, n := range append([]string{Normalize(def.Names["it"]), Normalize(def.Names["en"])}, normalizeAll(def.Synonyms)...) {
			if n != "" && !c.Known(n) {
				r.names[n] = def.ID
			}
		}
	}
	for _, def := range c.defs {
		for _, s := range def.Synonyms {
			if n := Normalize(s); n != "" {
				if _, taken := r.names[n]; !taken {
					r.names[n] = def.ID
				}
			}
		}
	}
	for id, syns := range glossary {
		id = Normalize(id)
		r.names[id] = id
		for _, s := range syns {
			if n := Normalize(s); n != "" {
				r.names[n] = id
			}
		}
	}
	return r
}

// Catalogue is the catalogue names are resolved against.
func (r *Resolver) Catalogue() *Catalogue { return r.cat.orBuiltin() }

func normalizeAll(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		out = append(out, Normalize(s))
	}
	return out
}

// Resolve maps a name to a metric id; ok is false when the name is not known, in which case
// the normalized name is returned.
func (r *Resolver) Resolve(name string) (string, bool) {
	n := Normalize(name)
	if id, ok := r.names[n]; ok {
		return id, true
	}
	return n, false
}

// Phrases returns every known name with its id, longest first, for searching in free text.
func (r *Resolver) Phrases() []Phrase {
	out := make([]Phrase, 0, len(r.names))
	for n, id := range r.names {
		out = append(out, Phrase{Words: strings.Split(n, "_"), ID: id})
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].Words) != len(out[j].Words) {
			return len(out[i].Words) > len(out[j].Words)
		}
		return strings.Join(out[i].Words, " ") < strings.Join(out[j].Words, " ")
	})
	return out
}

// Phrase is a name of a metric split into normalized words.
type Phrase struct {
	Words []string
	ID    string
}
