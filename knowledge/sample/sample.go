// Package sample writes whybot's sample workspace: the source documents' case of an Italian
// B2B maker of industrial machinery, followed by an agency. Its 14 months of KPI data have
// leads up about 30% in the last month with no data on lead quality or sales follow-up, the
// customer acquisition cost rising for three months, a push on social followers, and one
// traffic source spelled three ways (facebook, Facebook, fb).
package sample

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

//go:embed company.yaml
var profileYAML []byte

// docs are the sample's knowledge documents (a sales playbook and brand guidelines).
//
//go:embed docs/*.md
var docs embed.FS

// Profile is the sample company.yaml.
func Profile() []byte { return profileYAML }

// Months are the sample's periods, oldest first.
var Months = []string{"2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03",
	"2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"}

var (
	leadsBySource = map[string][]int{
		"google":   {26, 27, 25, 22, 26, 28, 27, 28, 27, 25, 24, 26, 27, 34},
		"social":   {16, 17, 17, 15, 17, 18, 18, 17, 18, 17, 16, 18, 18, 25},
		"linkedin": {11, 11, 12, 10, 12, 12, 11, 12, 12, 11, 10, 11, 12, 15},
		"email":    {3, 3, 3, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4},
	}
	adSpend       = []float64{1800, 1800, 1750, 1600, 1800, 1850, 1850, 1800, 1800, 1750, 1700, 1800, 1820, 1850}
	newCustomers  = []float64{9, 9, 8, 7, 9, 9, 10, 9, 9, 9, 10, 9, 8, 7}
	followers     = []float64{1180, 1210, 1240, 1255, 1290, 1320, 1350, 1380, 1400, 1430, 1480, 2050, 2700, 3400}
	nonBranded    = []float64{910, 930, 950, 880, 940, 960, 975, 990, 1000, 970, 940, 1010, 1030, 1045}
	margin        = []float64{41000, 42500, 40800, 36000, 41500, 43000, 44200, 43800, 44000, 42000, 39000, 43500, 42800, 41900}
	repeatRate    = []float64{0.27, 0.27, 0.28, 0.28, 0.28, 0.29, 0.29, 0.29, 0.30, 0.30, 0.30, 0.30, 0.29, 0.29}
	discountRate  = []float64{0.08, 0.08, 0.09, 0.10, 0.08, 0.08, 0.09, 0.09, 0.10, 0.10, 0.11, 0.10, 0.11, 0.12}
	returnRate    = []float64{0.021, 0.020, 0.022, 0.019, 0.020, 0.021, 0.020, 0.022, 0.021, 0.020, 0.022, 0.021, 0.022, 0.023}
	revenue       = []float64{118000, 121000, 116500, 104000, 119000, 123500, 126000, 124800, 125300, 120100, 111000, 124200, 122300, 119700}
	facebookSpell = []string{"facebook", "facebook", "facebook", "facebook", "Facebook", "Facebook", "Facebook", "Facebook",
		"fb", "fb", "Facebook", "fb", "Facebook", "fb"}
)

// CSV is the sample KPI data in long form.
func CSV() []byte {
	var b strings.Builder
	b.WriteString("period,metric,value,channel,segment,campaign,source,medium\n")
	row := func(period, metricID string, v float64, channel, source, medium string) {
		fmt.Fprintf(&b, "%s,%s,%s,%s,,,%s,%s\n", period, metricID, trim(v), channel, source, medium)
	}
	for i, m := range Months {
		row(m, "leads", float64(leadsBySource["google"][i]), "search", "google", "cpc")
		row(m, "leads", float64(leadsBySource["social"][i]), "paid_social", facebookSpell[i], "paid")
		row(m, "leads", float64(leadsBySource["linkedin"][i]), "paid_social", "linkedin", "paid")
		row(m, "leads", float64(leadsBySource["email"][i]), "email", "newsletter", "email")
		row(m, "ad_spend", adSpend[i], "", "", "")
		row(m, "new_customers", newCustomers[i], "", "", "")
		row(m, "followers", followers[i], "", "", "")
		row(m, "non_branded_search", nonBranded[i], "", "", "")
		row(m, "contribution_margin", margin[i], "", "", "")
		row(m, "revenue", revenue[i], "", "", "")
		row(m, "repeat_rate", repeatRate[i], "", "", "")
		row(m, "discount_rate", discountRate[i], "", "", "")
		row(m, "return_rate", returnRate[i], "", "", "")
	}
	return []byte(b.String())
}

func trim(v float64) string {
	s := fmt.Sprintf("%.4f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// Write creates dir/company.yaml, dir/kpis.csv and the knowledge folder; it refuses to
// overwrite existing files.
func Write(dir string) (profilePath, dataPath string, err error) {
	if profilePath, dataPath, err = WriteWorkspace(dir, profileYAML, CSV()); err != nil {
		return "", "", err
	}
	if err := writeDocs(filepath.Join(dir, "knowledge")); err != nil {
		os.Remove(profilePath)
		os.Remove(dataPath)
		return "", "", err
	}
	return profilePath, dataPath, nil
}

// WriteWorkspace creates dir/company.yaml and dir/kpis.csv with the given contents: both or
// neither, and never over an existing file.
func WriteWorkspace(dir string, profile, data []byte) (profilePath, dataPath string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("create %s: %w", dir, err)
	}
	profilePath, dataPath = filepath.Join(dir, "company.yaml"), filepath.Join(dir, "kpis.csv")
	for _, p := range []string{profilePath, dataPath} {
		if _, err := os.Stat(p); err == nil {
			return "", "", fmt.Errorf("%s already exists: choose an empty folder, or remove it first", p)
		}
	}
	if err := os.WriteFile(profilePath, profile, 0o644); err != nil {
		return "", "", fmt.Errorf("write profile: %w", err)
	}
	if err := os.WriteFile(dataPath, data, 0o644); err != nil {
		os.Remove(profilePath)
		return "", "", fmt.Errorf("write data: %w", err)
	}
	return profilePath, dataPath, nil
}

// writeDocs writes the sample's knowledge folder.
func writeDocs(dir string) error {
	entries, err := docs.ReadDir("docs")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for _, e := range entries {
		b, err := docs.ReadFile("docs/" + e.Name())
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			return fmt.Errorf("write knowledge: %w", err)
		}
	}
	return nil
}
