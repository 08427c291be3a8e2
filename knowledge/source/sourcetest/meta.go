package sourcetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Meta is a fake Meta Marketing API (GET /{version}/act_{id}/insights): spend, clicks,
// impressions and lead actions by account or campaign, per month, week or day, paged with
// cursors, with the X-Business-Use-Case-Usage header growing with every call.
type Meta struct {
	*Fake
	Account  string // act_…
	Versions []string
	PageRows int
	// UsagePerCall is how many points of call_count each request uses.
	UsagePerCall int
	umu          sync.Mutex
	usage        int
}

var metaPath = regexp.MustCompile(`^/(v[0-9]+\.[0-9])/(act_[0-9]+)/insights$`)

// NewMeta starts a fake Meta Marketing API for one ad account.
func NewMeta(t testing.TB, data *Data, account string) *Meta {
	m := &Meta{Account: account, Versions: []string{"v22.0", "v23.0"}, PageRows: 25, UsagePerCall: 1}
	m.Fake = newFake(t, data, m.handle, metaError)
	return m
}

func metaError(status int, msg string) string {
	code := map[int]int{400: 100, 401: 190, 403: 200, 429: 17, 500: 1, 503: 2}[status]
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}})
	return string(b)
}

// MetaExpired is the body Meta answers with for an expired user token.
const MetaExpired = `{"error":{"message":"Error validating access token: Session has expired on Tuesday, 01-Dec-26 09:00:00 PST.","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"AbCdEf"}}`

func (m *Meta) handle(f *Fake, w http.ResponseWriter, r *http.Request, body []byte, fault Fault) {
	p := metaPath.FindStringSubmatch(r.URL.Path)
	if r.Method != http.MethodGet || p == nil {
		f.fail(w, 400, "Unsupported get request.")
		return
	}
	if !slices.Contains(m.Versions, p[1]) {
		b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": fmt.Sprintf("(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: %s.", m.Versions[len(m.Versions)-1]),
			"type": "OAuthException", "code": 2635, "fbtrace_id": "AbCdEf"}})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		w.Write(b)
		return
	}
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if tok == "" {
		tok = r.URL.Query().Get("access_token")
	}
	if tok != f.Token {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		w.Write([]byte(`{"error":{"message":"Invalid OAuth access token - Cannot parse access token","type":"OAuthException","code":190,"fbtrace_id":"AbCdEf"}}`))
		return
	}
	if p[2] != m.Account {
		f.fail(w, 400, "Unsupported get request. Object with ID '"+p[2]+"' does not exist, cannot be loaded due to missing permissions, or does not support this operation.")
		return
	}
	q := r.URL.Query()
	var tr struct{ Since, Until string }
	if json.Unmarshal([]byte(q.Get("time_range")), &tr) != nil {
		f.fail(w, 400, "(#100) Param time_range must be a JSON object with since and until")
		return
	}
	from, err1 := time.Parse("2006-01-02", tr.Since)
	to, err2 := time.Parse("2006-01-02", tr.Until)
	var windows []string
	if err1 != nil || err2 != nil || json.Unmarshal([]byte(q.Get("action_attribution_windows")), &windows) != nil {
		f.fail(w, 400, "(#100) Invalid parameter")
		return
	}
	level := q.Get("level")
	fields := strings.Split(q.Get("fields"), ",")
	for _, x := range fields {
		if !slices.Contains([]string{"date_start", "date_stop", "account_currency", "spend", "clicks", "impressions", "reach", "actions", "campaign_name"}, x) {
			f.fail(w, 400, "(#100) "+x+" is not valid for fields param.")
			return
		}
	}
	if level != "account" && level != "campaign" {
		f.fail(w, 400, "(#100) Param level must be one of {ad, adset, campaign, account}")
		return
	}
	periodOf := map[string]func(time.Time) (time.Time, time.Time){
		"monthly": func(d time.Time) (time.Time, time.Time) {
			s := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
			return s, s.AddDate(0, 1, -1)
		},
		"1": func(d time.Time) (time.Time, time.Time) { return d, d },
		"7": func(d time.Time) (time.Time, time.Time) {
			off := int(d.Sub(from).Hours()/24) / 7 * 7
			s := from.AddDate(0, 0, off)
			return s, s.AddDate(0, 0, 6)
		},
	}[q.Get("time_increment")]
	if periodOf == nil {
		f.fail(w, 400, "(#100) Param time_increment must be monthly, all_days or a number of days")
		return
	}
	type key struct {
		start time.Time
		part  int
	}
	type agg struct {
		stop                 time.Time
		spend, clicks, leads float64
	}
	sums := map[key]*agg{}
	var order []key
	f.Data.days(from, to, func(day time.Time) {
		s, e := periodOf(day)
		if e.After(to) {
			e = to // Meta ends the last row at until
		}
		for pt := range f.Data.Campaigns {
			k := key{s, pt}
			if level == "account" {
				k.part = -1
			}
			a := sums[k]
			if a == nil {
				a = &agg{}
				sums[k] = a
				order = append(order, k)
			}
			a.stop = e
			a.spend += f.Data.Value(MetaSpendCents, day, pt)
			a.clicks += f.Data.Value(MetaClicks, day, pt)
			a.leads += f.Data.Value(MetaLeads, day, pt)
		}
	})
	start := 0
	if after := q.Get("after"); after != "" {
		start, _ = strconv.Atoi(after)
	}
	var data []any
	for i := start; i < len(order) && i < start+m.PageRows; i++ {
		k := order[i]
		a := sums[k]
		row := map[string]any{"date_start": k.start.Format("2006-01-02"), "date_stop": a.stop.Format("2006-01-02"), "account_currency": "EUR"}
		if slices.Contains(fields, "spend") {
			row["spend"] = strconv.FormatFloat(a.spend/100, 'f', 2, 64)
		}
		if slices.Contains(fields, "clicks") {
			row["clicks"] = strconv.FormatFloat(a.clicks, 'f', 0, 64)
		}
		if slices.Contains(fields, "impressions") {
			row["impressions"] = strconv.FormatFloat(a.clicks*40, 'f', 0, 64)
		}
		if slices.Contains(fields, "actions") && a.leads > 0 {
			row["actions"] = []any{map[string]string{"action_type": "link_click", "value": strconv.FormatFloat(a.clicks, 'f', 0, 64)},
				map[string]string{"action_type": "lead", "value": strconv.FormatFloat(a.leads, 'f', 0, 64)}}
		}
		if level == "campaign" {
			row["campaign_name"] = f.Data.Campaigns[k.part]
		}
		data = append(data, row)
	}
	out := map[string]any{"data": data}
	next := start + m.PageRows
	if fault.Loop {
		next = start
	}
	if fault.Loop {
		out["paging"] = map[string]any{"next": "http://" + r.Host + r.URL.RequestURI()} // the page just served
	} else if next < len(order) {
		nq := r.URL.Query()
		nq.Set("after", strconv.Itoa(next))
		nq.Del("access_token")
		out["paging"] = map[string]any{"cursors": map[string]string{"before": strconv.Itoa(start), "after": strconv.Itoa(next)},
			"next": "http://" + r.Host + r.URL.Path + "?" + nq.Encode()}
	}
	m.umu.Lock()
	m.usage += m.UsagePerCall
	u := m.usage
	m.umu.Unlock()
	if w.Header().Get("X-Business-Use-Case-Usage") == "" {
		usage, _ := json.Marshal(map[string]any{strings.TrimPrefix(m.Account, "act_"): []any{map[string]any{"type": "ads_insights", "call_count": min(u, 100), "total_cputime": min(u/2, 100), "total_time": min(u/2, 100), "estimated_time_to_regain_access": 0}}})
		w.Header().Set("X-Business-Use-Case-Usage", string(usage))
	}
	writeJSON(w, out)
}
