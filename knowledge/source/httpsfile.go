package source

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/limits"
	"github.com/whybot/whybot/knowledge/profile"
)

// httpsFile reads a CSV, JSON or .xlsx file over HTTPS (a Google Sheet published to the web
// as CSV, a Looker Studio or Supermetrics export a server keeps fresh), as a data: entry is
// read, and asks with If-None-Match / If-Modified-Since so an unchanged file is not read
// again.
type httpsFile struct {
	decl profile.Source
	env  Env
}

func (h *httpsFile) Pull(ctx context.Context, req Request) (Result, error) {
	res := Result{}
	base := &Error{Source: h.decl.Name, Kind: h.decl.Kind}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, h.decl.URL, nil)
	if err != nil {
		e := *base
		e.Reason, e.Detail = ReasonConfig, "the url is not a web address"
		return res, &e
	}
	hreq.Header.Set("Accept", "text/csv, application/json, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;q=0.9, */*;q=0.1")
	if req.ETag != "" {
		hreq.Header.Set("If-None-Match", req.ETag)
	}
	if req.Modified != "" {
		hreq.Header.Set("If-Modified-Since", req.Modified)
	}
	resp, err := h.env.client("https", h.decl.Name, &res.Requests).Do(hreq)
	if err != nil {
		e := *base
		return res, transportErr(&e, err)
	}
	defer resp.Body.Close()
	prov := Provenance{Source: h.decl.Name, Kind: "https", Endpoint: redact(h.decl.URL), API: "HTTPS file", PulledAt: h.env.Now().UTC(),
		TimeZone: h.decl.TimeZone, Currency: h.env.Currency, ETag: resp.Header.Get("ETag"), Modified: resp.Header.Get("Last-Modified")}
	if resp.StatusCode == http.StatusNotModified {
		prov.ETag, prov.Modified = req.ETag, req.Modified
		return Result{Unchanged: true, Provenance: prov, Requests: res.Requests}, nil
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		e := *base
		return res, statusErr(&e, resp.StatusCode, resp.Header, http.StatusText(resp.StatusCode)+firstWords(b))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limits.DataFileBytes+1))
	if err != nil {
		e := *base
		return res, transportErr(&e, err)
	}
	if len(body) > limits.DataFileBytes {
		e := *base
		e.Reason, e.Detail = ReasonTooLarge, "the file is larger than "+limits.Size(limits.DataFileBytes)
		return res, &e
	}
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("<")) && !strings.Contains(resp.Header.Get("Content-Type"), "xml") {
		e := *base
		e.Reason, e.Detail = ReasonMalformed, "a web page, not a data file: for a Google Sheet use File → Share → Publish to web → Comma-separated values (.csv), and the link it gives"
		return res, &e
	}
	name := fileName(h.decl.URL, resp.Header.Get("Content-Type"))
	rows, err := kpi.ReadWith(name, bytes.NewReader(body), h.env.Resolver, kpi.Options{Locale: h.decl.Locale, Where: "source " + h.decl.Name + " locale",
		Preset: h.decl.Preset, Columns: h.decl.Columns, Sheet: h.decl.Sheet, Currency: h.env.Currency, CurrencyWhere: "currency"})
	if err != nil {
		e := *base
		e.Reason, e.Err = ReasonData, err
		e.Detail = limits.Cut(err.Error())
		return res, &e
	}
	relabel(rows, h.decl.Name)
	res.Rows, res.Provenance = rows, prov
	return res, nil
}

// Whole reports that a file is read whole: its rows replace everything it gave before.
func (h *httpsFile) Whole() bool { return true }

// relabel makes a file's rows say the source they came from, keeping their line.
func relabel(rows []kpi.Row, name string) {
	file := FileOf(name)
	for i := range rows {
		rows[i].File = file
	}
}

// fileName is a name that tells the reader the format: the URL's own, else one from the
// content type (a Sheets link ends in /pub?output=csv).
func fileName(raw, contentType string) string {
	u, _ := url.Parse(raw)
	name := "download"
	if u != nil {
		if b := path.Base(u.Path); b != "/" && b != "." {
			name = b
		}
		if out := u.Query().Get("output"); out == "csv" || out == "xlsx" {
			return name + "." + out
		}
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case strings.Contains(mt, "csv"):
		return name + ".csv"
	case strings.Contains(mt, "json"):
		return name + ".json"
	case strings.Contains(mt, "spreadsheetml"):
		return name + ".xlsx"
	}
	return name
}

// redact is a URL without its query (a published link's key, a token), for provenance.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(url)"
	}
	u.RawQuery, u.User, u.Fragment = "", nil, ""
	return u.String()
}

func firstWords(b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" || strings.HasPrefix(s, "<") {
		return ""
	}
	return fmt.Sprintf(": %s", limits.Cut(s))
}
