package source

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/oauth2"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/profile"
)

// HubSpot's counts, each a contact search whose total is read (limit 1, only the record id
// asked, and that one record discarded): no contact's name, email or phone is ever asked for.
//   - contacts: contacts created in the period;
//   - mql: of those, the ones at marketing qualified lead or later;
//   - sql: of those, the ones at sales qualified lead or later;
//   - followed_up: of those, the ones with a sales activity logged within follow_up_hours
//     (48 by default) of creation;
//   - customers: contacts who became customers in the period.
var hubspotMetrics = map[string]string{
	"contacts":    "leads",
	"mql":         "qualified_leads",
	"sql":         "skip",
	"followed_up": "leads_followed_up",
	"customers":   "new_customers",
}

var (
	hubspotMQLOrLater = []string{"marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"}
	hubspotSQLOrLater = []string{"salesqualifiedlead", "opportunity", "customer"}
)

type hubspot struct {
	decl profile.Source
	env  Env
	cred Credential
}

type hsFilter struct {
	PropertyName string   `json:"propertyName"`
	Operator     string   `json:"operator"`
	Value        string   `json:"value,omitempty"`
	HighValue    string   `json:"highValue,omitempty"`
	Values       []string `json:"values,omitempty"`
}

type hsSearch struct {
	FilterGroups []struct {
		Filters []hsFilter `json:"filters"`
	} `json:"filterGroups"`
	Properties []string `json:"properties"`
	Limit      int      `json:"limit"`
}

type hsAnswer struct {
	Total *int `json:"total"`
}

func (h *hubspot) Pull(ctx context.Context, req Request) (Result, error) {
	res := Result{}
	rs := newRowSet(h.decl)
	c, err := h.httpClient(ctx, &res.Requests)
	if err != nil {
		return res, err
	}
	names, to := fields(hubspotMetrics, h.decl)
	hours := h.decl.FollowUpHours
	if hours == 0 {
		hours = 48
	}
	url := h.env.endpoint("hubspot", "https://api.hubapi.com/") + "crm/v3/objects/contacts/search"
	for p := periodOf(req.Grain, req.From); !p.Start.After(req.To); p = p.Next() {
		from, until := p.Start, p.Next().Start.Add(-time.Millisecond)
		if loc := h.decl.Location(); loc != time.UTC {
			from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
			n := p.Next().Start
			until = time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc).Add(-time.Millisecond)
		}
		created := hsFilter{PropertyName: "createdate", Operator: "BETWEEN", Value: ms(from), HighValue: ms(until)}
		for _, field := range names {
			var filters []hsFilter
			switch field {
			case "contacts":
				filters = []hsFilter{created}
			case "mql":
				filters = []hsFilter{created, {PropertyName: "lifecyclestage", Operator: "IN", Values: hubspotMQLOrLater}}
			case "sql":
				filters = []hsFilter{created, {PropertyName: "lifecyclestage", Operator: "IN", Values: hubspotSQLOrLater}}
			case "followed_up":
				filters = []hsFilter{created, {PropertyName: "hs_time_to_first_engagement", Operator: "LTE", Value: strconv.Itoa(hours * 3600 * 1000)}}
			case "customers":
				filters = []hsFilter{{PropertyName: "hs_lifecyclestage_customer_date", Operator: "BETWEEN", Value: ms(from), HighValue: ms(until)}}
			default:
				return res, &Error{Source: h.decl.Name, Kind: h.decl.Kind, Reason: ReasonConfig, Detail: fmt.Sprintf("%q is not a HubSpot count: use contacts, mql, sql, followed_up or customers", field)}
			}
			n, err := h.count(ctx, c, url, filters, rs.err)
			if err != nil {
				return res, err
			}
			if !rs.add(p, to[field], kpi.Dims{}, float64(n)) {
				return res, rs.tooMany()
			}
		}
	}
	res.Rows = rs.rows
	res.Provenance = Provenance{Source: h.decl.Name, Kind: "hubspot", Endpoint: "crm/v3/objects/contacts/search", API: "HubSpot CRM API v3",
		PulledAt: h.env.Now().UTC(), TimeZone: h.decl.TimeZone, Attribution: fmt.Sprintf("followed up = a sales activity within %d hours of creation", hours)}
	return res, nil
}

func (h *hubspot) count(ctx context.Context, c *http.Client, url string, filters []hsFilter, base *Error) (int, error) {
	body := hsSearch{Properties: []string{"hs_object_id"}, Limit: 1}
	body.FilterGroups = append(body.FilterGroups, struct {
		Filters []hsFilter `json:"filters"`
	}{filters})
	var out hsAnswer
	if _, err := call(ctx, c, http.MethodPost, url, nil, body, &out, base, hubspotErr); err != nil {
		return 0, err
	}
	if out.Total == nil || *out.Total < 0 {
		e := *base
		e.Reason, e.Detail = ReasonMalformed, "a search answer with no total"
		return 0, &e
	}
	return *out.Total, nil
}

// httpClient signs with a private app's token, or refreshes a user's OAuth grant.
func (h *hubspot) httpClient(ctx context.Context, calls *int) (*http.Client, error) {
	base := h.env.client("hubspot", h.decl.Name, calls)
	switch {
	case h.cred.Token != "":
		ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: h.cred.Token, TokenType: "Bearer"})
		return oauth2.NewClient(context.WithValue(ctx, oauth2.HTTPClient, base), ts), nil
	case h.cred.OAuth != nil:
		app := h.env.OAuth["hubspot"]
		if app == nil {
			return nil, &Error{Source: h.decl.Name, Kind: h.decl.Kind, Reason: ReasonConfig, Detail: "no HubSpot OAuth app is configured (WHYBOT_HUBSPOT_CLIENT_ID, WHYBOT_HUBSPOT_CLIENT_SECRET)"}
		}
		return app.Client(context.WithValue(ctx, oauth2.HTTPClient, base), h.cred.OAuth), nil
	}
	return nil, &Error{Source: h.decl.Name, Kind: h.decl.Kind, Reason: ReasonAuth, Detail: "not connected"}
}

// hubspotErr reads HubSpot's error body: {"status":"error","message":…,"category":…}.
func hubspotErr(e *Error, status int, h http.Header, b []byte) *Error {
	var body struct {
		Message  string `json:"message"`
		Category string `json:"category"`
	}
	_ = json.Unmarshal(b, &body)
	statusErr(e, status, h, body.Message)
	switch body.Category {
	case "INVALID_AUTHENTICATION", "EXPIRED_AUTHENTICATION", "MISSING_SCOPES":
		e.Reason = ReasonAuth
	case "RATE_LIMITS":
		e.Reason = ReasonQuota
		if e.RetryAfter == 0 {
			e.RetryAfter = 10 * time.Second // HubSpot's window
		}
	}
	return e
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
