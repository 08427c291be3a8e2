package source

import (
	"context"
	"fmt"
	"strconv"

	"google.golang.org/api/option"
	sheetsapi "google.golang.org/api/sheets/v4"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/limits"
	"github.com/whybot/whybot/knowledge/profile"
)

// sheets reads a range of a Google Sheet through the Sheets API v4 as a data: entry is
// read. Cells come unformatted (a number is the number, a date its serial day), as an .xlsx
// file's do, so no locale is guessed.
type sheets struct {
	decl profile.Source
	env  Env
	cred Credential
}

func (s *sheets) Pull(ctx context.Context, req Request) (Result, error) {
	res := Result{}
	base := &Error{Source: s.decl.Name, Kind: s.decl.Kind}
	hc, err := s.env.googleClient(ctx, s.decl, s.cred, &res.Requests, sheetsapi.SpreadsheetsReadonlyScope)
	if err != nil {
		return res, err
	}
	svc, err := sheetsapi.NewService(ctx, option.WithHTTPClient(hc), option.WithEndpoint(s.env.endpoint("sheets", "https://sheets.googleapis.com/")))
	if err != nil {
		return res, fmt.Errorf("Sheets client: %w", err)
	}
	rng := s.decl.Range
	if rng == "" {
		ss, err := svc.Spreadsheets.Get(s.decl.Spreadsheet).Fields("sheets.properties.title").Context(ctx).Do()
		if err != nil {
			return res, googleErr(base, err)
		}
		if len(ss.Sheets) == 0 || ss.Sheets[0].Properties == nil {
			e := *base
			e.Reason, e.Detail = ReasonMalformed, "the spreadsheet has no sheet"
			return res, &e
		}
		rng = ss.Sheets[0].Properties.Title
	}
	vr, err := svc.Spreadsheets.Values.Get(s.decl.Spreadsheet, rng).ValueRenderOption("UNFORMATTED_VALUE").
		DateTimeRenderOption("SERIAL_NUMBER").MajorDimension("ROWS").Context(ctx).Do()
	if err != nil {
		return res, googleErr(base, err)
	}
	cells := make([][]string, len(vr.Values))
	for i, row := range vr.Values {
		cells[i] = make([]string, len(row))
		for j, c := range row {
			cells[i][j] = cellText(c)
		}
	}
	rows, err := kpi.ReadCells(rng, cells, s.env.Resolver, kpi.Options{Preset: s.decl.Preset, Columns: s.decl.Columns, Currency: s.env.Currency, CurrencyWhere: "currency"})
	if err != nil {
		e := *base
		e.Reason, e.Err, e.Detail = ReasonData, err, limits.Cut(err.Error())
		return res, &e
	}
	relabel(rows, s.decl.Name)
	res.Rows = rows
	res.Provenance = Provenance{Source: s.decl.Name, Kind: "sheets", Endpoint: "spreadsheets/" + s.decl.Spreadsheet + "/values/" + rng,
		API: "Google Sheets API v4", PulledAt: s.env.Now().UTC(), TimeZone: s.decl.TimeZone, Currency: s.env.Currency}
	return res, nil
}

// Whole reports that a sheet is read whole.
func (s *sheets) Whole() bool { return true }

// cellText is an unformatted cell as an .xlsx reader sees it.
func cellText(c any) string {
	switch v := c.(type) {
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		return v
	case bool:
		if v {
			return "TRUE"
		}
		return "FALSE"
	case nil:
		return ""
	}
	return fmt.Sprint(c)
}
