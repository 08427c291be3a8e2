package kpi_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/whybot/whybot/knowledge/kpi"
)

// longFile writes n long-form rows (day, metric, value, channel, campaign): 5 metrics of
// 20 channel and campaign pairs a day.
func longFile(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "big.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("period,metric,value,channel,campaign\n")
	metrics := []string{"leads", "ad_spend", "sessions", "new_customers", "followers"}
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		day, m, c := i/100, (i/20)%5, i%20
		fmt.Fprintf(w, "%s,%s,%d,ch%d,camp%d\n", start.AddDate(0, 0, day).Format("2006-01-02"), metrics[m], 10+(day*7+c)%17, c%10, c)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return path
}

// BenchmarkImport1M reads, checks and builds a file of 1,000,000 long-form rows (34 MB),
// as whybot validate, ask and serve import it.
func BenchmarkImport1M(b *testing.B) {
	path := longFile(b, 1_000_000)
	benchLoad(b, path, 10_000)
}

// BenchmarkXLSX100k reads a workbook of 100,000 rows (a date cell, a channel, three
// numbers) and builds its dataset.
func BenchmarkXLSX100k(b *testing.B) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	sw.SetRow("A1", []any{"Giorno", "Canale", "Sessioni", "Lead", "Spesa"})
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 100_000 {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, []any{start.AddDate(0, 0, i/10), fmt.Sprintf("ch%d", i%10), 100 + i%37, 3 + i%7, 12.5 + float64(i%11)}); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "big.xlsx")
	if err := f.SaveAs(path); err != nil {
		b.Fatal(err)
	}
	benchLoad(b, path, 10_000)
}

// benchLoad loads path as whybot imports a file, again and again, checking its periods.
func benchLoad(b *testing.B, path string, periods int) {
	r := res()
	b.ReportAllocs()
	for b.Loop() {
		ds, err := kpi.Load([]string{path}, r, nil)
		if err != nil {
			b.Fatal(err)
		}
		if ds.Len() != periods {
			b.Fatalf("%d periods", ds.Len())
		}
	}
}
