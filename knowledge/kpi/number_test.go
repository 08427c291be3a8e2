package kpi

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/metric"
)

func TestParseNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		locale string
		want   float64
		unit   string
	}{
		{"1.250,00 €", "", 1250, "EUR"},
		{"€ 1,250.00", "", 1250, "EUR"},
		{"€1.250,50", "it", 1250.5, "EUR"},
		{"12,5%", "", 0.125, "%"},
		{"12.5 %", "", 0.125, "%"},
		{"3.412", "it", 3412, ""},
		{"3.412", "en", 3.412, ""},
		{"1,250", "en", 1250, ""},
		{"1,250", "it", 1.25, ""},
		{"1.234.567", "", 1234567, ""},
		{"1,234,567", "", 1234567, ""},
		{"1 234 567", "", 1234567, ""},
		{"1\u202f250,5", "", 1250.5, ""},
		{"12,5", "", 12.5, ""},
		{"0.125", "", 0.125, ""},
		{"0,125", "", 0.125, ""},
		{"1234.5", "", 1234.5, ""},
		{"1234", "", 1234, ""},
		{"-1.250,00", "", -1250, ""},
		{"\u22121.250,00 €", "", -1250, "EUR"},
		{"€ -12,50", "", -12.5, "EUR"},
		{"USD 99.90", "", 99.9, "USD"},
		{"1'250.50", "", 1250.5, ""},
		{".5", "", 0.5, ""},
	}
	for _, tt := range tests {
		n, err := parseNumber(tt.in, tt.locale)
		require.NoError(t, err, tt.in)
		require.InDelta(t, tt.want, n.v, 1e-9, tt.in)
		require.Equal(t, tt.unit, n.unit, tt.in)
	}
	for _, bad := range []string{"3.412", "1,250", "999,000"} {
		_, err := parseNumber(bad, "")
		require.ErrorContains(t, err, "locale: it or locale: en", bad)
	}
	for _, bad := range []string{"1.2.3", "1,25,000", "1.250.00,5", "12,5,0", "1.250,00.5", "abc", "12 €%", "1 250.000,5", "1..250", ",", "1.25.000"} {
		_, err := parseNumber(bad, "it")
		require.Error(t, err, bad)
	}
}

func TestReadLocale(t *testing.T) {
	t.Parallel()
	read := func(data, locale string) ([]Row, error) {
		return ReadWith("export.csv", strings.NewReader(data), metric.NewResolver(nil), Options{Locale: locale, Where: "company.yaml:3"})
	}
	// Italian thousands read right when the profile says it.
	rows, err := read("period;sessions\n2026-01;3.412\n2026-02;5.020\n", "it")
	require.NoError(t, err)
	require.Equal(t, 3412.0, rows[0].Value)
	require.Equal(t, 5020.0, rows[1].Value)
	// Nobody said: the same file is an error at the line, with the fix.
	_, err = read("period;sessions\n2026-01;3.412\n", "")
	require.ErrorContains(t, err, `export.csv:2: column sessions: value "3.412" could be 3412`)
	// A file that shows dot decimals elsewhere contradicts an Italian reading of 3.412.
	_, err = read("period,roas,ctr\n2026-01,3.412,0.12\n", "it")
	require.ErrorContains(t, err, `export.csv:2: value "3.412" was read in Italian style`)
	require.ErrorContains(t, err, "company.yaml:3")
	// Two styles in one file.
	_, err = read("period,metric,value\n2026-01,revenue,\"1.250,00\"\n2026-02,revenue,\"1,300.50\"\n", "")
	require.ErrorContains(t, err, "two styles")
	// JSON numbers are read as written, whatever the locale.
	rows, err = ReadWith("k.json", strings.NewReader(`[{"period":"2026-01","roas":3.412,"revenue":"1.250,00 €"}]`), metric.NewResolver(nil), Options{Locale: "it"})
	require.NoError(t, err)
	byMetric := map[string]float64{}
	for _, r := range rows {
		byMetric[r.Metric] = r.Value
	}
	require.Equal(t, 3.412, byMetric["roas"])
	require.Equal(t, 1250.0, byMetric["revenue"])
}
