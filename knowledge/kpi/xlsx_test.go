package kpi_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/metric"
)

// workbook writes an .xlsx as Excel does: a title row, a month column of date cells, numbers
// shown with thousands groups (the stored value is what is read), a totals row.
func workbook(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sh := f.GetSheetName(0)
	require.NoError(t, f.SetSheetRow(sh, "A1", &[]any{"Report mensile"}))
	require.NoError(t, f.SetSheetRow(sh, "A2", &[]any{"Mese", "Canale", "Sessioni", "Entrate", "Tasso"}))
	month, err := f.NewStyle(&excelize.Style{NumFmt: 17}) // mmm-yy
	require.NoError(t, err)
	grouped, err := f.NewStyle(&excelize.Style{NumFmt: 3}) // #,##0
	require.NoError(t, err)
	rows := [][]any{
		{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "organic", 3412, 1250.5, 0.125},
		{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "paid_social", 1020, 310.25},
		{time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), "organic", 3650, 1402.1, 0.131},
		{"Totale", nil, 8082, 2962.85},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		require.NoError(t, f.SetSheetRow(sh, cell, &r))
		require.NoError(t, f.SetCellStyle(sh, cell, cell, month))
		c, _ := excelize.CoordinatesToCellName(3, i+3)
		require.NoError(t, f.SetCellStyle(sh, c, c, grouped))
	}
	var b bytes.Buffer
	require.NoError(t, f.Write(&b))
	return b.Bytes()
}

func TestReadXLSX(t *testing.T) {
	t.Parallel()
	data := workbook(t)
	res := metric.NewResolver(map[string][]string{"revenue": {"entrate"}, "engagement_rate": {"tasso"}})
	for _, name := range []string{"report.xlsx", "download"} { // by extension, or by its zip signature
		rows, err := kpi.ReadWith(name, bytes.NewReader(data), res, kpi.Options{Locale: "it"})
		require.NoError(t, err, name)
		ds, err := kpi.Build(rows)
		require.NoError(t, err)
		require.Equal(t, []string{"2026-01", "2026-02"}, labels(ds))
		v, _ := ds.Value(0, "sessions")
		require.Equal(t, 3412.0+1020, v, "3.412 as Excel stores it, not as the Italian format shows it")
		v, _ = ds.Value(0, "revenue")
		require.InDelta(t, 1560.75, v, 1e-9)
		require.Equal(t, 3, rows[0].Line, "a sheet's row number (title 1, header 2)")
	}
	_, err := kpi.ReadWith("report.xlsx", bytes.NewReader(data), res, kpi.Options{Sheet: "Foglio9"})
	require.ErrorContains(t, err, `sheet "Foglio9" is not in the workbook: its sheets are Sheet1`)
	_, err = kpi.ReadWith("report.xlsx", strings.NewReader("period,leads\n"), res, kpi.Options{})
	require.ErrorContains(t, err, "not an .xlsx workbook (it is not a zip file)")
	_, err = kpi.ReadWith("trunc.xlsx", bytes.NewReader(data[:len(data)/2]), res, kpi.Options{})
	require.ErrorContains(t, err, "not an .xlsx workbook Excel can open")
}

func labels(ds *kpi.Dataset) []string {
	var out []string
	for _, p := range ds.Periods {
		out = append(out, p.String())
	}
	return out
}

func TestReadNotText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"period,leads\n2026-01,\x00\x01\x02": "a binary file, not text",
		"\xff\xfep\x00e\x00":                 "UTF-16 text",
		"periodo;città\n2026-01;\xe0\n":      "not UTF-8 text",
	} {
		_, err := kpi.ReadWith(filepath.Join("x", "k.csv"), strings.NewReader(in), metric.NewResolver(nil), kpi.Options{})
		require.ErrorContains(t, err, want)
	}
}

// sheet is a workbook of one sheet holding rows, as Excel writes it.
func sheet(rows ...[]any) string {
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			panic(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		panic(err)
	}
	return b.String()
}

// FuzzReadXLSX fuzzes the workbook reader: a broken zip, a sheet of any cells, never a
// panic or a figure that was not in a cell.
func FuzzReadXLSX(f *testing.F) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	good := sheet([]any{"Mese", "Sessioni", "Tasso"}, []any{jan, 3412, 0.125}, []any{jan.AddDate(0, 1, 0), 3650, 0.131})
	fuzzRead(f, "f.xlsx", []string{
		good,
		good[:len(good)/2], // cut in the middle
		sheet([]any{"Report"}, []any{"Settimana", "Lead"}, []any{"2026-W03", 12}, []any{"Totale", 12}),
		sheet([]any{"period", "leads"}, []any{46023.0, "--"}, []any{"2026-02", "1.250"}),
		sheet(),
		"PK\x03\x04",
	})
}
