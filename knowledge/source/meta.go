package source

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/profile"
)

// Meta Marketing API insights: spend, clicks, impressions and the lead results, by
// campaign or for the account, with the attribution setting recorded.
var metaMetrics = map[string]string{
	"spend":       "ad_spend",
	"clicks":      "clicks",
	"impressions": "impressions",
	"lead":        "leads", // actions[action_type=lead]
}

// metaFields are the insights fields a metric name reads; any other name is an action type.
var metaFields = map[string]bool{"spend": true, "clicks": true, "impressions": true, "reach": true}

const metaVersion = "v23.0"

type metaAds struct {
	decl profile.Source
	env  Env
	cred Credential
}

type metaAnswer struct {
	Data []map[string]json.RawMessage `json:"data"`
	// Paging.Next is the next page's full address.
	Paging struct {
		Next    string `json:"next"`
		Cursors struct {
			After string `json:"after"`
		} `json:"cursors"`
	} `json:"paging"`
}

func (m *metaAds) Pull(ctx context.Context, req Request) (Result, error) {
	res := Result{}
	rs := newRowSet(m.decl)
	if m.cred.Token == "" {
		return res, &Error{Source: m.decl.Name, Kind: m.decl.Kind, Reason: ReasonAuth, Detail: "not connected: give it a system user's token (whybot source connect " + m.decl.Name + ")"}
	}
	c := m.env.client("meta_ads", m.decl.Name, &res.Requests)
	version := m.decl.APIVersion
	if version == "" {
		version = metaVersion
	}
	names, to := fields(metaMetrics, m.decl)
	want := []string{"date_start", "date_stop", "account_currency"}
	actions := false
	for _, n := range names {
		if metaFields[n] {
			want = append(want, n)
		} else {
			actions = true
		}
	}
	if actions {
		want = append(want, "actions")
	}
	level := "account"
	for _, b := range m.decl.By {
		if b == "campaign" {
			level = "campaign"
			want = append(want, "campaign_name")
		}
	}
	attribution := m.decl.Attribution
	if len(attribution) == 0 {
		attribution = []string{"7d_click", "1d_view"} // Meta's default setting
	}
	windows, _ := json.Marshal(attribution)
	rangeJSON, _ := json.Marshal(map[string]string{"since": dateStr(req.From), "until": dateStr(req.To)})
	q := url.Values{}
	q.Set("level", level)
	q.Set("fields", strings.Join(want, ","))
	q.Set("time_range", string(rangeJSON))
	q.Set("time_increment", map[kpi.Grain]string{kpi.Month: "monthly", kpi.Week: "7", kpi.Day: "1"}[req.Grain])
	q.Set("action_attribution_windows", string(windows))
	q.Set("limit", "500")
	next := m.env.endpoint("meta_ads", "https://graph.facebook.com/") + version + "/" + m.decl.Account + "/insights?" + q.Encode()
	header := http.Header{"Authorization": {"Bearer " + m.cred.Token}}
	seen := map[string]bool{}
	currency := ""
	for page := 0; next != ""; page++ {
		if page >= MaxPages || seen[next] {
			return res, &Error{Source: m.decl.Name, Kind: m.decl.Kind, Reason: ReasonLoop, Detail: "the pages come back to one already read"}
		}
		seen[next] = true
		var out metaAnswer
		h, err := call(ctx, c, http.MethodGet, next, header, nil, &out, rs.err, metaErr)
		if err != nil {
			return res, err
		}
		if low, wait := metaUsage(h); wait > 0 {
			e := *rs.err
			e.Reason, e.RetryAfter, e.Detail = ReasonQuota, wait, "Meta's usage limit for this ad account is reached"
			return res, &e
		} else if low {
			res.QuotaLow = true
		}
		for _, row := range out.Data {
			cur, err := m.addRow(rs, req.Grain, row, to, level)
			if err != nil {
				return res, err
			}
			currency = cur
		}
		next = out.Paging.Next
		if next != "" && !strings.HasPrefix(next, m.env.endpoint("meta_ads", "https://graph.facebook.com/")) {
			return res, rs.malformed("a next page on another host")
		}
	}
	res.Rows = rs.rows
	res.Provenance = Provenance{Source: m.decl.Name, Kind: "meta_ads", Endpoint: m.decl.Account + "/insights (level " + level + ")", API: "Meta Marketing API " + version,
		PulledAt: m.env.Now().UTC(), TimeZone: m.decl.TimeZone, Currency: currency, Attribution: "attribution " + strings.Join(attribution, " + ")}
	return res, nil
}

func (m *metaAds) addRow(rs *rowSet, grain kpi.Grain, row map[string]json.RawMessage, to map[string]string, level string) (string, error) {
	str := func(k string) string {
		var s string
		_ = json.Unmarshal(row[k], &s)
		return s
	}
	start, err1 := time.Parse("2006-01-02", str("date_start"))
	stop, err2 := time.Parse("2006-01-02", str("date_stop"))
	if err1 != nil || err2 != nil {
		return "", rs.malformed("a row without date_start and date_stop")
	}
	p := periodOf(grain, start)
	if periodOf(grain, stop) != p {
		return "", rs.malformed(fmt.Sprintf("a row from %s to %s spans more than one %s", dateStr(start), dateStr(stop), grain))
	}
	var d kpi.Dims
	if level == "campaign" {
		setDim(&d, "campaign", str("campaign_name"))
	}
	var acts []struct {
		Type  string `json:"action_type"`
		Value string `json:"value"`
	}
	if raw, ok := row["actions"]; ok {
		if err := json.Unmarshal(raw, &acts); err != nil {
			return "", rs.malformed("actions is not a list of action_type and value")
		}
	}
	for field, id := range to {
		var raw string
		if metaFields[field] {
			raw = str(field)
		} else {
			raw = "0"
			for _, a := range acts {
				if a.Type == field {
					raw = a.Value
				}
			}
		}
		if raw == "" {
			continue // Meta leaves out a field with nothing to count
		}
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return "", rs.malformed(fmt.Sprintf("%s = %q is not a number", field, raw))
		}
		if !rs.add(p, id, d, v) {
			return "", rs.tooMany()
		}
	}
	return str("account_currency"), nil
}

// metaErr reads the Graph API's error: {"error":{"message","type","code","error_subcode"}}.
func metaErr(e *Error, status int, h http.Header, b []byte) *Error {
	var body struct {
		Error struct {
			Message string `json:"message"`
			Type    string `json:"type"`
			Code    int    `json:"code"`
			Subcode int    `json:"error_subcode"`
		} `json:"error"`
	}
	_ = json.Unmarshal(b, &body)
	statusErr(e, status, h, body.Error.Message)
	switch c := body.Error.Code; {
	case c == 190 || c == 102 || c == 10 || (c >= 200 && c < 300):
		e.Reason = ReasonAuth
		if body.Error.Subcode == 463 {
			e.Detail = "the access token expired (a user's token lasts about 60 days: use a system user's token, which does not)"
		}
	case c == 4 || c == 17 || c == 32 || c == 613 || (c >= 80000 && c <= 80014):
		e.Reason = ReasonQuota
		if _, wait := metaUsage(h); wait > 0 {
			e.RetryAfter = wait
		}
	case c == 2635 || c == 12:
		e.Reason = ReasonVersion
	}
	return e
}

// metaUsage reads Meta's usage headers: low when a counter is at 90% or more; wait when
// Meta says how long until the account may call again.
func metaUsage(h http.Header) (low bool, wait time.Duration) {
	for _, name := range []string{"X-Business-Use-Case-Usage", "X-Ad-Account-Usage", "X-App-Usage"} {
		v := h.Get(name)
		if v == "" {
			continue
		}
		var byAccount map[string][]map[string]any
		if json.Unmarshal([]byte(v), &byAccount) != nil {
			var flat map[string]any // X-App-Usage: one object
			if json.Unmarshal([]byte(v), &flat) != nil {
				continue
			}
			byAccount = map[string][]map[string]any{"": {flat}}
		}
		for _, list := range byAccount {
			for _, u := range list {
				for k, n := range u {
					f, ok := n.(float64)
					if !ok {
						continue
					}
					switch {
					case k == "estimated_time_to_regain_access" && f > 0:
						wait = max(wait, time.Duration(f)*time.Minute)
					case (k == "call_count" || k == "total_cputime" || k == "total_time" || k == "acc_id_util_pct") && f >= 90:
						low = true
					}
				}
			}
		}
	}
	return low, wait
}
