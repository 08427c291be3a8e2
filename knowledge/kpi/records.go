package kpi

import (
	"sort"
	"strings"
	"time"

	"github.com/whybot/whybot/knowledge/limits"
	"github.com/whybot/whybot/knowledge/metric"
)

// PresetHubSpotContacts reads HubSpot's export of contacts (Contacts → Export), one row per
// contact, into counts per month of creation and original source: leads, the ones that
// reached a qualified lifecycle stage, the customers, and the ones a salesperson contacted.
// Names, emails and phone numbers are never read, so no personal data is kept.
const PresetHubSpotContacts = "hubspot_contacts"

// contactColumns are the columns of a contacts export whybot reads (normalized, Italian
// and English interfaces); every other column is left unread.
var contactColumns = map[string]string{
	"create_date": "created", "data_di_creazione": "created", "createdate": "created",
	"lifecycle_stage": "stage", "fase_del_ciclo_di_vita": "stage", "lifecyclestage": "stage",
	"original_source": "source", "original_traffic_source": "source", "fonte_originale": "source", "fonte_di_traffico_originale": "source", "hs_analytics_source": "source",
	"last_contacted": "contacted", "ultimo_contatto": "contacted", "notes_last_contacted": "contacted",
	"date_of_last_sales_activity": "contacted", "data_dell_ultima_attività_di_vendita": "contacted",
}

// qualifiedStages are the lifecycle stages at or past a qualified lead (HubSpot's internal
// values and its English and Italian labels, normalized).
var qualifiedStages = map[string]bool{
	"marketingqualifiedlead": true, "marketing_qualified_lead": true, "lead_qualificato_per_il_marketing": true, "mql": true,
	"salesqualifiedlead": true, "sales_qualified_lead": true, "lead_qualificato_per_le_vendite": true, "sql": true,
	"opportunity": true, "opportunità": true, "customer": true, "cliente": true, "evangelist": true, "sostenitore": true,
}

var customerStages = map[string]bool{"customer": true, "cliente": true, "evangelist": true, "sostenitore": true}

// contactKey is one count's group: the month of creation and the original source.
type contactKey struct {
	period periodKey
	source string
}

type contactCount struct {
	period                                Period
	line                                  int // the first contact of the group
	leads, qualified, customers, followed float64
}

// readContacts counts a contacts export read from t, whose header is at line hl.
func readContacts(name string, t table, header []string, hl int, num *numbers) ([]Row, error) {
	e := &Error{}
	col := map[string]int{}
	for i, h := range header {
		if target, ok := contactColumns[metric.Normalize(strings.TrimPrefix(h, "\ufeff"))]; ok {
			if _, dup := col[target]; !dup {
				col[target] = i
			}
		}
	}
	created, ok := col["created"]
	if !ok {
		e.add(name, hl, "preset %s: no Create Date column: export the contacts with the Create Date property (Data di creazione)", PresetHubSpotContacts)
		return nil, e
	}
	counts := map[contactKey]*contactCount{}
	var order []contactKey
	err := eachRecord(name, t, e, func(fields []string, line int) bool {
		cell := func(target string) string {
			if i, ok := col[target]; ok && i < len(fields) {
				return strings.TrimSpace(fields[i])
			}
			return ""
		}
		day, _, _ := strings.Cut(cell("created"), " ") // 2026-01-15 10:32, 15/01/2026 10:32
		if created >= len(fields) || day == "" {
			return e.add(name, line, "contact with no Create Date")
		}
		p, err := num.period(day, hintMonth)
		if err != nil {
			return e.add(name, line, "%v", err)
		}
		if p.Grain != Month { // contacts are counted by the month they were created
			p = Period{Grain: Month, Start: time.Date(p.Start.Year(), p.Start.Month(), 1, 0, 0, 0, 0, time.UTC)}
		}
		k := contactKey{keyOf(p), sourceName(cell("source"))}
		c, seen := counts[k]
		if !seen {
			if len(counts) >= limits.DataRows/4 {
				e.add(name, line, "more than %d month and source groups in one file, the limit", limits.DataRows/4)
				return true
			}
			c = &contactCount{period: p, line: line}
			counts[k] = c
			order = append(order, k)
		}
		c.leads++
		stage := metric.Normalize(cell("stage"))
		if qualifiedStages[stage] {
			c.qualified++
		}
		if customerStages[stage] {
			c.customers++
		}
		if cell("contacted") != "" {
			c.followed++
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	if len(counts) == 0 {
		e.add(name, 0, "no contacts after the header")
		return nil, e
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].period.start < order[j].period.start })
	var rows []Row
	for _, k := range order {
		c := counts[k]
		add := func(id string, v float64) {
			rows = append(rows, Row{Period: c.period, Metric: id, Value: v, Dims: Dims{Source: k.source}, File: name, Line: c.line})
		}
		add("leads", c.leads)
		if _, ok := col["stage"]; ok {
			add("qualified_leads", c.qualified)
			add("new_customers", c.customers)
		}
		if _, ok := col["contacted"]; ok {
			add("leads_followed_up", c.followed)
		}
	}
	return rows, nil
}

func sourceName(s string) string {
	var d Dims
	d.set("source", s)
	return d.Source
}

func init() {
	presets[PresetHubSpotContacts] = map[string]string{"create_date": ColumnPeriod, "data_di_creazione": ColumnPeriod, "createdate": ColumnPeriod}
}
