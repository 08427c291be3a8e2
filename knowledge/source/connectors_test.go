package source_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/oauth2"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/source"
	"github.com/whybot/whybot/knowledge/source/sourcetest"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

var (
	oct1, oct31, nov30 = day(2026, 10, 1), day(2026, 10, 31), day(2026, 11, 30)
	octNov             = source.Request{From: oct1, To: nov30, Grain: kpi.Month}
)

// googleEnv points a Google connector at its fake and at a fake token endpoint, signing in
// with a user's refresh token.
func googleEnv(t *testing.T, kind string, api *sourcetest.Fake) (source.Env, source.Credential, *sourcetest.OAuth) {
	o := sourcetest.NewOAuth(t, api.Token)
	env := source.Env{Endpoints: map[string]string{kind: api.URL}, OAuth: map[string]*oauth2.Config{
		"google": {ClientID: o.ClientID, ClientSecret: o.ClientSecret, Endpoint: oauth2.Endpoint{TokenURL: o.TokenURL(), AuthStyle: oauth2.AuthStyleInParams}},
	}}
	cred := source.Credential{OAuth: &oauth2.Token{RefreshToken: o.RefreshToken, Expiry: time.Unix(1, 0)}}
	return env, cred, o
}

func TestGA4(t *testing.T) {
	t.Parallel()
	data := sourcetest.NewData()
	fake := sourcetest.NewGA4(t, data)
	fake.PageRows = 4 // six rows: two pages
	env, cred, _ := googleEnv(t, "ga4", fake.Fake)
	decl := profile.Source{Name: "ga4_web", Kind: "ga4", Property: "123456", By: []string{"channel"}, TimeZone: "Europe/Rome"}
	want := map[string]float64{}
	for i, ch := range data.Channels {
		d := kpi.Dims{Channel: ch}
		want[sourcetest.Key("2026-10", "sessions", d)] = data.Sum(sourcetest.Sessions, oct1, oct31, i, 0)
		want[sourcetest.Key("2026-11", "conversions", d)] = data.Sum(sourcetest.KeyEvents, day(2026, 11, 1), nov30, i, 0)
		want[sourcetest.Key("2026-11", "engaged_sessions", d)] = data.Sum(sourcetest.EngagedSessions, day(2026, 11, 1), nov30, i, 0)
	}
	sourcetest.Run(t, sourcetest.Case{Name: "ga4_web", Fake: fake.Fake, Env: env, Req: octNov, Want: want, Paged: true, JSON: true,
		Build: func(env source.Env) (source.Source, error) { return source.New(decl, cred, env) }})

	t.Run("the request is the documented runReport", func(t *testing.T) {
		fake.Reset()
		s, _ := source.New(decl, cred, env)
		res, err := s.Pull(t.Context(), octNov)
		require.NoError(t, err)
		reqs := fake.Requests()
		require.Len(t, reqs, 2, "six rows in pages of four")
		require.Equal(t, "/v1beta/properties/123456:runReport", reqs[0].Path)
		require.Equal(t, "Bearer "+fake.Token, reqs[0].Header.Get("Authorization"))
		var body map[string]any
		require.NoError(t, json.Unmarshal(reqs[1].Body, &body))
		require.Equal(t, "4", body["offset"])
		require.Equal(t, true, body["returnPropertyQuota"])
		require.Equal(t, []any{map[string]any{"startDate": "2026-10-01", "endDate": "2026-11-30"}}, body["dateRanges"])
		require.Contains(t, res.Provenance.Quota, "GA4 tokens today")
		require.Equal(t, "GA4 Data API v1beta", res.Provenance.API)
	})

	t.Run("by source, medium and campaign", func(t *testing.T) {
		d := decl
		d.By = []string{"source", "medium", "campaign"}
		s, _ := source.New(d, cred, env)
		res, err := s.Pull(t.Context(), source.Request{From: oct1, To: oct31, Grain: kpi.Month})
		require.NoError(t, err)
		got := map[kpi.Dims]float64{}
		for _, r := range res.Rows {
			if r.Metric == "sessions" {
				got[r.Dims] = r.Value
			}
		}
		require.Equal(t, data.Sum(sourcetest.Sessions, oct1, oct31, 1, 0), got[kpi.Dims{Source: "facebook", Medium: "paid", Campaign: "Promo autunno"}])
		require.Len(t, got, 3)
		var body map[string]any
		require.NoError(t, json.Unmarshal(fake.Requests()[len(fake.Requests())-1].Body, &body))
		require.Equal(t, []any{map[string]any{"name": "yearMonth"}, map[string]any{"name": "sessionSource"}, map[string]any{"name": "sessionMedium"}, map[string]any{"name": "sessionCampaignName"}}, body["dimensions"])
	})

	t.Run("a service account signs a JWT the token endpoint verifies", func(t *testing.T) {
		o := sourcetest.NewOAuth(t, fake.Token)
		s, err := source.New(decl, source.Credential{ServiceAccount: o.ServiceAccountJSON()}, source.Env{Endpoints: env.Endpoints})
		require.NoError(t, err)
		_, err = s.Pull(t.Context(), octNov)
		require.NoError(t, err)
		require.Equal(t, "urn:ietf:params:oauth:grant-type:jwt-bearer", o.Grants[0].Get("grant_type"))
	})

	t.Run("a revoked refresh token is a sign-in problem that names the 7-day trap", func(t *testing.T) {
		env, cred, o := googleEnv(t, "ga4", fake.Fake)
		o.Queue(sourcetest.Fault{Revoke: true})
		s, _ := source.New(decl, cred, env)
		_, err := s.Pull(t.Context(), octNov)
		e, ok := source.AsError(err)
		require.True(t, ok, "%v", err)
		require.Equal(t, source.ReasonAuth, e.Reason)
		require.Contains(t, e.Message("it"), "Ricollega")
		require.Contains(t, e.Detail, "7 days")
		require.NotContains(t, err.Error(), o.RefreshToken)
	})

	t.Run("a used-up daily quota stops the pull", func(t *testing.T) {
		q := sourcetest.NewGA4(t, data)
		q.TokensPerDay = 15
		env, cred, _ := googleEnv(t, "ga4", q.Fake)
		env.Sleep = (&sourcetest.Sleeps{}).Sleep
		s, _ := source.New(decl, cred, env)
		res, err := s.Pull(t.Context(), octNov)
		require.NoError(t, err)
		require.True(t, res.QuotaLow, "5 of 15 tokens left after the call: %s", res.Provenance.Quota)
		_, err = s.Pull(t.Context(), octNov)
		e, ok := source.AsError(err)
		require.True(t, ok, "%v", err)
		require.Equal(t, source.ReasonQuota, e.Reason)
	})
}

func TestSearchConsole(t *testing.T) {
	t.Parallel()
	data := sourcetest.NewData()
	fake := sourcetest.NewSearchConsole(t, data, "https://www.ceramicherossi.it/", "ceramiche rossi")
	env, cred, _ := googleEnv(t, "search_console", fake.Fake)
	env.Brand = []string{"Ceramiche Rossi", "rossi ceramiche"}
	decl := profile.Source{Name: "gsc", Kind: "search_console", Site: "https://www.ceramicherossi.it/"}
	clicks := data.Sum(sourcetest.SearchClicks, oct1, oct31, 0, 0)
	want := map[string]float64{
		sourcetest.Key("2026-10", "organic_clicks", kpi.Dims{}):     clicks,
		sourcetest.Key("2026-10", "search_impressions", kpi.Dims{}): data.Sum(sourcetest.SearchImpr, oct1, oct31, 0, 0),
		sourcetest.Key("2026-10", "non_branded_search", kpi.Dims{}): clicks - data.Sum(sourcetest.BrandedClicks, oct1, oct31, 0, 0),
	}
	sourcetest.Run(t, sourcetest.Case{Name: "gsc", Fake: fake.Fake, Env: env, Req: octNov, Want: want, JSON: true,
		Build: func(env source.Env) (source.Source, error) { return source.New(decl, cred, env) }})

	t.Run("the brand terms become one escaped filter on the query", func(t *testing.T) {
		fake.Reset()
		s, _ := source.New(decl, cred, env)
		_, err := s.Pull(t.Context(), octNov)
		require.NoError(t, err)
		reqs := fake.Requests()
		require.Len(t, reqs, 2)
		require.Equal(t, "/webmasters/v3/sites/https%3A%2F%2Fwww.ceramicherossi.it%2F/searchAnalytics/query", reqs[0].Path)
		require.Contains(t, string(reqs[1].Body), `"expression":"(?i)(ceramiche rossi|rossi ceramiche)"`)
	})

	t.Run("a site the account cannot read is named", func(t *testing.T) {
		other := decl
		other.Site = "sc-domain:altro.it"
		s, _ := source.New(other, cred, env)
		_, err := s.Pull(t.Context(), octNov)
		e, _ := source.AsError(err)
		require.Equal(t, source.ReasonAuth, e.Reason)
		require.Contains(t, e.Detail, "sufficient permission")
	})
}

// serial is a day as a spreadsheet stores it.
func serial(d time.Time) float64 { return d.Sub(day(1899, 12, 30)).Hours() / 24 }

func TestSheets(t *testing.T) {
	t.Parallel()
	values := [][]any{{"Mese", "Lead", "Spesa pubblicitaria"}, {serial(day(2026, 9, 1)), 60.0, 3412.0}, {serial(oct1), 78.0, 1850.5}}
	formatted := [][]any{{"Mese", "Lead", "Spesa pubblicitaria"}, {"set 2026", "60", "3.412,00 €"}, {"ott 2026", "78", "1.850,50 €"}}
	fake := sourcetest.NewSheets(t, "1AbCdEf", "Foglio1", values, formatted)
	env, cred, _ := googleEnv(t, "sheets", fake.Fake)
	decl := profile.Source{Name: "sheet", Kind: "sheets", Spreadsheet: "1AbCdEf"}
	want := map[string]float64{
		sourcetest.Key("2026-09", "ad_spend", kpi.Dims{}): 3412,
		sourcetest.Key("2026-10", "ad_spend", kpi.Dims{}): 1850.5,
		sourcetest.Key("2026-10", "leads", kpi.Dims{}):    78,
	}
	sourcetest.Run(t, sourcetest.Case{Name: "sheet", Fake: fake.Fake, Env: env, Req: octNov, Want: want, JSON: true,
		Build: func(env source.Env) (source.Source, error) { return source.New(decl, cred, env) }})

	t.Run("it asks for unformatted values of the first sheet", func(t *testing.T) {
		fake.Reset()
		s, _ := source.New(decl, cred, env)
		res, err := s.Pull(t.Context(), octNov)
		require.NoError(t, err)
		reqs := fake.Requests()
		require.Len(t, reqs, 2)
		require.Equal(t, "sheets.properties.title", reqs[0].Query["fields"][0])
		require.Equal(t, "/v4/spreadsheets/1AbCdEf/values/Foglio1", reqs[1].Path)
		require.Equal(t, "UNFORMATTED_VALUE", reqs[1].Query["valueRenderOption"][0])
		require.Equal(t, "SERIAL_NUMBER", reqs[1].Query["dateTimeRenderOption"][0])
		require.Equal(t, 2, res.Rows[0].Line, "a row keeps its sheet row")
	})
}

func TestHTTPSFile(t *testing.T) {
	t.Parallel()
	files := sourcetest.NewFiles(t)
	csv := "periodo;lead;spesa_ads\n2026-09;60;3.412\n2026-10;78;1.850,50\n"
	files.Put("/spreadsheets/d/e/2PACX/pub", "text/csv; charset=utf-8", []byte(csv))
	decl := profile.Source{Name: "published", Kind: "https", URL: files.URL + "/spreadsheets/d/e/2PACX/pub?output=csv", Locale: "it"}
	want := map[string]float64{
		sourcetest.Key("2026-09", "ad_spend", kpi.Dims{}): 3412,
		sourcetest.Key("2026-10", "leads", kpi.Dims{}):    78,
	}
	sourcetest.Run(t, sourcetest.Case{Name: "published", Fake: files.Fake, Req: source.Request{Grain: kpi.Month}, Want: want,
		Build: func(env source.Env) (source.Source, error) { return source.New(decl, source.Credential{}, env) }})

	t.Run("an unchanged file is not read again", func(t *testing.T) {
		s, _ := source.New(decl, source.Credential{}, source.Env{})
		first, err := s.Pull(t.Context(), source.Request{Grain: kpi.Month})
		require.NoError(t, err)
		require.NotEmpty(t, first.Provenance.ETag)
		again, err := s.Pull(t.Context(), source.Request{Grain: kpi.Month, ETag: first.Provenance.ETag, Modified: first.Provenance.Modified})
		require.NoError(t, err)
		require.True(t, again.Unchanged)
		require.Empty(t, again.Rows)
		require.Equal(t, 1, files.NotModified)
		require.NotContains(t, first.Provenance.Endpoint, "output=csv", "a link's query is not recorded")
	})

	t.Run("Italian numbers without a locale are an error naming the line", func(t *testing.T) {
		bare := decl
		bare.Locale = ""
		s, _ := source.New(bare, source.Credential{}, source.Env{})
		_, err := s.Pull(t.Context(), source.Request{Grain: kpi.Month})
		e, ok := source.AsError(err)
		require.True(t, ok)
		require.Equal(t, source.ReasonData, e.Reason)
		require.Contains(t, e.Detail, ":2:")
	})

	t.Run("a workbook over HTTPS is read as Excel stores it", func(t *testing.T) {
		f := excelize.NewFile()
		defer f.Close()
		sh := f.GetSheetName(0)
		require.NoError(t, f.SetSheetRow(sh, "A1", &[]any{"Mese", "Lead", "Spesa pubblicitaria"}))
		require.NoError(t, f.SetSheetRow(sh, "A2", &[]any{time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), 78, 1850.5}))
		var buf bytes.Buffer
		require.NoError(t, f.Write(&buf))
		files.Put("/export", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
		wb := decl
		wb.URL, wb.Locale = files.URL+"/export", ""
		s, _ := source.New(wb, source.Credential{}, source.Env{})
		res, err := s.Pull(t.Context(), source.Request{Grain: kpi.Month})
		require.NoError(t, err)
		got := map[string]float64{}
		for _, r := range res.Rows {
			got[r.Period.String()+"|"+r.Metric] = r.Value
		}
		require.Equal(t, map[string]float64{"2026-10|leads": 78, "2026-10|ad_spend": 1850.5}, got)
	})

	t.Run("a web page instead of the CSV says how to publish", func(t *testing.T) {
		files.Put("/page", "text/html", []byte("<!DOCTYPE html><html><body>Sign in</body></html>"))
		page := decl
		page.URL = files.URL + "/page"
		s, _ := source.New(page, source.Credential{}, source.Env{})
		_, err := s.Pull(t.Context(), source.Request{Grain: kpi.Month})
		e, _ := source.AsError(err)
		require.Equal(t, source.ReasonMalformed, e.Reason)
		require.Contains(t, e.Detail, "Publish to web")
	})
}

func TestGoogleAds(t *testing.T) {
	t.Parallel()
	data := sourcetest.NewData()
	fake := sourcetest.NewAds(t, data, "1234567890", "9876543210", "dev-token")
	env, cred, _ := googleEnv(t, "google_ads", fake.Fake)
	cred.DeveloperToken = "dev-token"
	decl := profile.Source{Name: "ads", Kind: "google_ads", Customer: "1234567890", Manager: "9876543210", By: []string{"campaign"}}
	want := map[string]float64{}
	for i, c := range data.Campaigns {
		d := kpi.Dims{Campaign: c}
		want[sourcetest.Key("2026-10", "ad_spend", d)] = data.Sum(sourcetest.AdsCostMicros, oct1, oct31, i, 0) / 1e6
		want[sourcetest.Key("2026-10", "clicks", d)] = data.Sum(sourcetest.AdsClicks, oct1, oct31, i, 0)
		want[sourcetest.Key("2026-11", "conversions", d)] = data.Sum(sourcetest.AdsConversions, day(2026, 11, 1), nov30, i, 0)
	}
	sourcetest.Run(t, sourcetest.Case{Name: "ads", Fake: fake.Fake, Env: env, Req: octNov, Want: want, JSON: true,
		Build: func(env source.Env) (source.Source, error) { return source.New(decl, cred, env) }})

	t.Run("the GAQL, the developer token and the manager's id", func(t *testing.T) {
		fake.Reset()
		s, _ := source.New(decl, cred, env)
		res, err := s.Pull(t.Context(), octNov)
		require.NoError(t, err)
		r := fake.Requests()[0]
		require.Equal(t, "/v22/customers/1234567890/googleAds:searchStream", r.Path)
		require.Equal(t, "dev-token", r.Header.Get("developer-token"))
		require.Equal(t, "9876543210", r.Header.Get("login-customer-id"))
		require.Contains(t, string(r.Body), "FROM campaign WHERE segments.date BETWEEN '2026-10-01' AND '2026-11-30'")
		require.Equal(t, "EUR", res.Provenance.Currency)
		require.Equal(t, "Europe/Rome", res.Provenance.TimeZone)
	})

	t.Run("a version Google no longer serves says to update it", func(t *testing.T) {
		old := decl
		old.APIVersion = "v17"
		s, _ := source.New(old, cred, env)
		_, err := s.Pull(t.Context(), octNov)
		e, _ := source.AsError(err)
		require.Equal(t, source.ReasonVersion, e.Reason)
		require.Contains(t, e.Message("en"), "api_version")
	})

	t.Run("the quota error's retry delay is kept", func(t *testing.T) {
		// Google Ads sends no Retry-After: the retries wait a second, two, four, then the
		// error's own retryDelay is what the pull reports
		fake.Queue(sourcetest.Fault{Status: 429}, sourcetest.Fault{Status: 429}, sourcetest.Fault{Status: 429}, sourcetest.Fault{Status: 429})
		env := env
		sl := &sourcetest.Sleeps{}
		env.Sleep = sl.Sleep
		s, _ := source.New(decl, cred, env)
		_, err := s.Pull(t.Context(), octNov)
		e, _ := source.AsError(err)
		require.Equal(t, source.ReasonQuota, e.Reason)
		require.Equal(t, time.Hour, e.RetryAfter)
		require.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, sl.All())
	})
}

func TestMetaAds(t *testing.T) {
	t.Parallel()
	data := sourcetest.NewData()
	fake := sourcetest.NewMeta(t, data, "act_555")
	fake.PageRows = 3 // four rows: two pages
	env := source.Env{Endpoints: map[string]string{"meta_ads": fake.URL}}
	cred := source.Credential{Token: fake.Token}
	decl := profile.Source{Name: "meta", Kind: "meta_ads", Account: "act_555", By: []string{"campaign"}}
	want := map[string]float64{}
	for i, c := range data.Campaigns {
		d := kpi.Dims{Campaign: c}
		want[sourcetest.Key("2026-10", "ad_spend", d)] = data.Sum(sourcetest.MetaSpendCents, oct1, oct31, i, 0) / 100
		want[sourcetest.Key("2026-10", "leads", d)] = data.Sum(sourcetest.MetaLeads, oct1, oct31, i, 0)
	}
	sourcetest.Run(t, sourcetest.Case{Name: "meta", Fake: fake.Fake, Env: env, Req: octNov, Want: want, Paged: true, JSON: true,
		Build: func(env source.Env) (source.Source, error) { return source.New(decl, cred, env) }})

	t.Run("the insights request and the attribution recorded", func(t *testing.T) {
		fake.Reset()
		s, _ := source.New(decl, cred, env)
		res, err := s.Pull(t.Context(), octNov)
		require.NoError(t, err)
		reqs := fake.Requests()
		require.Len(t, reqs, 2)
		q := reqs[0].Query
		require.Equal(t, "/v23.0/act_555/insights", reqs[0].Path)
		require.Equal(t, "campaign", q["level"][0])
		require.Equal(t, "monthly", q["time_increment"][0])
		require.Equal(t, `["7d_click","1d_view"]`, q["action_attribution_windows"][0])
		require.Empty(t, q["access_token"], "the token goes in a header, never in a URL a log may keep")
		require.Equal(t, "3", reqs[1].Query["after"][0])
		require.Equal(t, "attribution 7d_click + 1d_view", res.Provenance.Attribution)
		require.Equal(t, "EUR", res.Provenance.Currency)
	})

	t.Run("an expired user token says to use a system user's", func(t *testing.T) {
		fake.Queue(sourcetest.Fault{Status: 400, Body: sourcetest.MetaExpired})
		s, _ := source.New(decl, cred, env)
		_, err := s.Pull(t.Context(), octNov)
		e, _ := source.AsError(err)
		require.Equal(t, source.ReasonAuth, e.Reason)
		require.Contains(t, e.Detail, "system user")
	})

	t.Run("a deprecated version", func(t *testing.T) {
		old := decl
		old.APIVersion = "v19.0"
		s, _ := source.New(old, cred, env)
		_, err := s.Pull(t.Context(), octNov)
		e, _ := source.AsError(err)
		require.Equal(t, source.ReasonVersion, e.Reason)
	})

	t.Run("the usage header near its limit marks the quota low; a wait stops the pull", func(t *testing.T) {
		fake.Queue(sourcetest.Fault{Header: map[string][]string{"X-Business-Use-Case-Usage": {`{"555":[{"type":"ads_insights","call_count":95,"total_cputime":20,"total_time":20,"estimated_time_to_regain_access":0}]}`}}})
		s, _ := source.New(decl, cred, env)
		res, err := s.Pull(t.Context(), octNov)
		require.NoError(t, err)
		require.True(t, res.QuotaLow)
		fake.Queue(sourcetest.Fault{Header: map[string][]string{"X-Business-Use-Case-Usage": {`{"555":[{"type":"ads_insights","call_count":100,"estimated_time_to_regain_access":12}]}`}}})
		_, err = s.Pull(t.Context(), octNov)
		e, _ := source.AsError(err)
		require.Equal(t, source.ReasonQuota, e.Reason)
		require.Equal(t, 12*time.Minute, e.RetryAfter)
	})
}

func TestHubSpot(t *testing.T) {
	t.Parallel()
	data := sourcetest.NewData()
	fake := sourcetest.NewHubSpot(t, data)
	fake.PerSecond = 1000
	env := source.Env{Endpoints: map[string]string{"hubspot": fake.URL}}
	cred := source.Credential{Token: fake.Token}
	decl := profile.Source{Name: "crm", Kind: "hubspot", TimeZone: "Europe/Rome"}
	nov1 := day(2026, 11, 1)
	want := map[string]float64{
		sourcetest.Key("2026-10", "leads", kpi.Dims{}):             data.Sum(sourcetest.Contacts, oct1, oct31, 0, 0),
		sourcetest.Key("2026-10", "qualified_leads", kpi.Dims{}):   data.Sum(sourcetest.MQL, oct1, oct31, 0, 0),
		sourcetest.Key("2026-11", "leads_followed_up", kpi.Dims{}): data.Sum(sourcetest.FollowedUp, nov1, nov30, 0, 0),
		sourcetest.Key("2026-11", "new_customers", kpi.Dims{}):     data.Sum(sourcetest.Customers, nov1, nov30, 0, 0),
	}
	sourcetest.Run(t, sourcetest.Case{Name: "crm", Fake: fake.Fake, Env: env, Req: octNov, Want: want, JSON: true,
		Build: func(env source.Env) (source.Source, error) { return source.New(decl, cred, env) }})

	t.Run("counts only: no contact's details are asked for", func(t *testing.T) {
		for _, p := range fake.Properties {
			require.Equal(t, "hs_object_id", p)
		}
		r := fake.Requests()[0]
		require.Contains(t, string(r.Body), `"limit":1`)
		require.Contains(t, string(r.Body), `"propertyName":"createdate","operator":"BETWEEN"`)
	})

	t.Run("the token bucket keeps under HubSpot's per-second limit", func(t *testing.T) {
		limited := sourcetest.NewHubSpot(t, data)
		limited.PerSecond = 5
		s, _ := source.New(decl, source.Credential{Token: limited.Token}, source.Env{Endpoints: map[string]string{"hubspot": limited.URL}})
		res, err := s.Pull(t.Context(), source.Request{From: oct1, To: oct31, Grain: kpi.Month})
		require.NoError(t, err)
		require.Equal(t, 4, res.Requests)
		require.Zero(t, limited.Limited, "no 429")
	})

	t.Run("an invalid token is a sign-in problem", func(t *testing.T) {
		s, _ := source.New(decl, source.Credential{Token: "wrong"}, env)
		_, err := s.Pull(t.Context(), octNov)
		e, _ := source.AsError(err)
		require.Equal(t, source.ReasonAuth, e.Reason)
		require.False(t, strings.Contains(err.Error(), "wrong"), "the token never appears in an error")
	})
}
