package kpi

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/whybot/whybot/knowledge/limits"
	"github.com/whybot/whybot/knowledge/metric"
)

// Targets a column can be mapped to besides a metric.
const (
	ColumnPeriod    = "period"
	ColumnPeriodEnd = "period_end" // the last day of a reporting range (Meta's Reporting ends)
	ColumnSkip      = "skip"
)

// presets map the column names of well-known exports (Italian and English interfaces,
// normalized) to whybot's period, dimensions and metrics. Columns a preset does not name
// are left out (an export has many), so a preset file never fails on a text column.
var presets = map[string]map[string]string{
	// GA4 and Looker Studio: Explore or report → Download → CSV (the # preamble is skipped).
	"ga4": {
		"session_default_channel_group": "channel", "gruppo_di_canali_predefinito_della_sessione": "channel",
		"default_channel_group": "channel", "gruppo_di_canali_predefinito": "channel",
		"first_user_default_channel_group": "channel", "gruppo_di_canali_predefinito_del_primo_utente": "channel",
		"session_source": "source", "sorgente_della_sessione": "source", "session_medium": "medium", "mezzo_della_sessione": "medium",
		"session_campaign": "campaign", "campagna_della_sessione": "campaign",
		"sessions": "sessions", "sessioni": "sessions", "engaged_sessions": "engaged_sessions", "sessioni_con_engagement": "engaged_sessions",
		"total_users": "users", "utenti_totali": "users", "active_users": "users", "utenti_attivi": "users", "new_users": "new_users", "nuovi_utenti": "new_users",
		"key_events": "conversions", "eventi_chiave": "conversions", "conversions": "conversions", "conversioni": "conversions",
		"total_revenue": "revenue", "entrate_totali": "revenue", "purchase_revenue": "revenue", "entrate_generate_dagli_acquisti": "revenue",
	},
	// Google Ads: Campaigns → Download → CSV, with a segment by month, week or day.
	"google_ads": {
		"campaign": "campaign", "campagna": "campaign",
		"clicks": "clicks", "clic": "clicks", "impr": "impressions", "impressions": "impressions", "impressioni": "impressions",
		"cost": "ad_spend", "costo": "ad_spend", "conversions": "conversions", "conversioni": "conversions",
		"conv_value": "revenue", "valore_conv": "revenue",
	},
	// Meta Ads Manager: Reports → Export table data → CSV, with a breakdown by month or day.
	"meta_ads": {
		"reporting_starts": ColumnPeriod, "inizio_dei_report": ColumnPeriod, "reporting_ends": ColumnPeriodEnd, "fine_dei_report": ColumnPeriodEnd,
		"campaign_name": "campaign", "nome_della_campagna": "campaign",
		"amount_spent_eur": "ad_spend", "importo_speso_eur": "ad_spend", "amount_spent_usd": "ad_spend", "importo_speso_usd": "ad_spend", "amount_spent": "ad_spend", "importo_speso": "ad_spend",
		"impressions": "impressions", "impression": "impressions", "reach": "reach", "copertura": "reach",
		"link_clicks": "clicks", "clic_sul_link": "clicks", "leads": "leads", "lead": "leads",
	},
	// Search Console: Performance → Export → CSV (the Dates.csv of the download).
	"search_console": {
		"clicks": "organic_clicks", "clic": "organic_clicks", "impressions": "search_impressions", "impressioni": "search_impressions",
		"position": "avg_position", "posizione": "avg_position",
	},
	// HubSpot: a report of contacts (or deals) by create date, exported as CSV.
	"hubspot": {
		"create_date_month": ColumnPeriod, "data_di_creazione_mese": ColumnPeriod, "create_date": ColumnPeriod, "data_di_creazione": ColumnPeriod,
		"original_source": "source", "fonte_originale": "source", "original_traffic_source": "source",
		"count_of_contacts": "leads", "conteggio_dei_contatti": "leads", "number_of_contacts": "leads", "numero_di_contatti": "leads",
		"count_of_deals": "deals", "conteggio_delle_trattative": "deals",
		"marketing_qualified_leads": "qualified_leads", "lead_qualificati_per_il_marketing": "qualified_leads",
		"customers": "new_customers", "clienti": "new_customers",
	},
}

// Presets lists the built-in export presets.
func Presets() []string {
	out := make([]string, 0, len(presets))
	for k := range presets {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// colMap is a file's column map (normalized name → target): a preset's, with the
// profile's own columns on top. With a preset (only), columns it does not name are left
// out; with the profile's columns alone, the others are read by their names.
type colMap struct {
	m    map[string]string
	only bool
}

func (o Options) mapping() (colMap, error) {
	if o.Preset == "" && len(o.Columns) == 0 {
		return colMap{}, nil
	}
	m := map[string]string{}
	if o.Preset != "" {
		p, ok := presets[o.Preset]
		if !ok {
			return colMap{}, fmt.Errorf("preset %s is not one whybot knows: use one of %s, or map the columns yourself with columns:", limits.Quote(o.Preset), strings.Join(Presets(), ", "))
		}
		for k, v := range p {
			m[k] = v
		}
	}
	for k, v := range o.Columns {
		m[metric.Normalize(k)] = v
	}
	return colMap{m: m, only: o.Preset != ""}, nil
}

// mapped places one header under a file's column map; ok is false for a column the map
// leaves out.
func (c *columns) mapped(i int, key, target string, res *metric.Resolver) bool {
	switch {
	case target == ColumnSkip:
	case target == ColumnPeriod:
		c.period, c.hint = i, periodColumns[key]
	case target == ColumnPeriodEnd:
		c.periodEnd = i
	case slices.Contains(dimNames, target):
		c.dims[target] = i
	default:
		id, _ := res.Resolve(target)
		c.wide[i] = id
	}
	return true
}

// totalLabels are what exports write in the first cells of a totals row.
var totalLabels = []string{"total", "totale", "totals", "totali", "grand_total", "totale_complessivo", "totale_generale", "total_account", "total_campaigns", "totale_account", "totale_campagne", "somma"}

// isTotalRow reports whether a row is an export's totals row: its period or a dimension
// cell says total (a total is recomputed from the rows, never read twice).
func isTotalRow(rec []string, c columns) bool {
	var buf [8]int
	cells := append(buf[:0], c.period)
	for _, i := range c.dims {
		cells = append(cells, i)
	}
	for _, i := range cells {
		if !maybeTotal(rec[i]) {
			continue
		}
		k := metric.Normalize(rec[i])
		if k == "" {
			continue
		}
		for _, t := range totalLabels {
			if k == t || strings.HasPrefix(k, t+"_") {
				return true
			}
		}
	}
	return false
}

// maybeTotal is a cheap first look: every total label starts with total, grand or somma.
func maybeTotal(cell string) bool {
	cell = strings.TrimLeft(cell, " \t\u00a0")
	if cell == "" {
		return false
	}
	if len(cell) > 5 {
		cell = cell[:5]
	}
	for _, p := range []string{"total", "grand", "somma"} {
		if strings.EqualFold(cell, p) {
			return true
		}
	}
	return false
}

// noValue is what exports write in a cell that was not measured.
func noValue(cell string) bool {
	switch cell {
	case "", "--", "-", "—", "n/a", "N/A", "n.d.", "N.D.", "nd":
		return true
	}
	return false
}
