package sourcetest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// HubSpot is a fake HubSpot CRM API (POST /crm/v3/objects/contacts/search): contacts
// created at noon UTC each day, counted by the filters, with HubSpot's per-second limit.
type HubSpot struct {
	*Fake
	// PerSecond is the search endpoint's limit; past it HubSpot answers 429.
	PerSecond int
	// Properties are every property any request asked to read (no personal one may appear).
	Properties []string
	lmu        sync.Mutex
	window     time.Time
	inWindow   int
	Limited    int // how many 429s the limit gave
}

// NewHubSpot starts a fake HubSpot.
func NewHubSpot(t testing.TB, data *Data) *HubSpot {
	h := &HubSpot{PerSecond: 5}
	h.Fake = newFake(t, data, h.handle, hubspotError)
	return h
}

func hubspotError(status int, msg string) string {
	cat := map[int]string{400: "VALIDATION_ERROR", 401: "INVALID_AUTHENTICATION", 403: "MISSING_SCOPES", 429: "RATE_LIMITS", 500: "INTERNAL_ERROR"}[status]
	b, _ := json.Marshal(map[string]any{"status": "error", "message": msg, "correlationId": "fake", "category": cat})
	return string(b)
}

type hsFilterIn struct {
	PropertyName string   `json:"propertyName"`
	Operator     string   `json:"operator"`
	Value        string   `json:"value"`
	HighValue    string   `json:"highValue"`
	Values       []string `json:"values"`
}

func (h *HubSpot) handle(f *Fake, w http.ResponseWriter, r *http.Request, body []byte, fault Fault) {
	if r.Method != http.MethodPost || r.URL.Path != "/crm/v3/objects/contacts/search" {
		f.fail(w, http.StatusNotFound, "Not found")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.Token {
		f.fail(w, 401, "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
		return
	}
	if !h.allow() {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(429)
		w.Write([]byte(`{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","correlationId":"fake","policyName":"SECONDLY","category":"RATE_LIMITS"}`))
		return
	}
	var req struct {
		FilterGroups []struct {
			Filters []hsFilterIn `json:"filters"`
		} `json:"filterGroups"`
		Properties []string `json:"properties"`
		Limit      int      `json:"limit"`
	}
	if json.Unmarshal(body, &req) != nil || len(req.FilterGroups) != 1 || req.Limit > 200 {
		f.fail(w, 400, "Invalid input JSON on line 1")
		return
	}
	h.lmu.Lock()
	h.Properties = append(h.Properties, req.Properties...)
	h.lmu.Unlock()
	series, from, to := Contacts, time.Time{}, time.Time{}
	for _, x := range req.FilterGroups[0].Filters {
		switch {
		case (x.PropertyName == "createdate" || x.PropertyName == "hs_lifecyclestage_customer_date") && x.Operator == "BETWEEN":
			lo, err1 := strconv.ParseInt(x.Value, 10, 64)
			hi, err2 := strconv.ParseInt(x.HighValue, 10, 64)
			if err1 != nil || err2 != nil {
				f.fail(w, 400, "There was a problem with the request: "+x.PropertyName+" needs milliseconds.")
				return
			}
			from, to = time.UnixMilli(lo).UTC(), time.UnixMilli(hi).UTC()
			if x.PropertyName == "hs_lifecyclestage_customer_date" {
				series = Customers
			}
		case x.PropertyName == "lifecyclestage" && x.Operator == "IN":
			series = MQL
			if !slices.Contains(x.Values, "marketingqualifiedlead") {
				series = SQL
			}
		case x.PropertyName == "hs_time_to_first_engagement" && x.Operator == "LTE":
			series = FollowedUp
		default:
			f.fail(w, 400, "There was a problem with the request: unknown filter on "+x.PropertyName)
			return
		}
	}
	if from.IsZero() {
		f.fail(w, 400, "This fake needs a date range filter.")
		return
	}
	total := 0.0
	f.Data.days(from.Truncate(24*time.Hour), to, func(day time.Time) {
		noon := day.Add(12 * time.Hour)
		if !noon.Before(from) && !noon.After(to) {
			total += f.Data.Value(series, day, 0)
		}
	})
	var results []any
	if total > 0 && req.Limit > 0 {
		results = []any{map[string]any{"id": "1", "properties": map[string]string{"hs_object_id": "1"}}}
	}
	writeJSON(w, map[string]any{"total": int(total), "results": results})
}

// allow is HubSpot's per-second window.
func (h *HubSpot) allow() bool {
	h.lmu.Lock()
	defer h.lmu.Unlock()
	now := time.Now()
	if now.Sub(h.window) >= time.Second {
		h.window, h.inWindow = now, 0
	}
	h.inWindow++
	if h.inWindow > h.PerSecond {
		h.Limited++
		return false
	}
	return true
}
