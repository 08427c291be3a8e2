package main_test

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Bad input of every kind gets a clear error naming the file, in bounded memory (the
// process's peak RSS, measured by the kernel, at most 200 MB), and nothing is imported.
func TestBadInputBoundedMemory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, stderr, code := run(t, "", "init", filepath.Join(dir, "ws"))
	require.Zero(t, code, stderr)
	goodProfile, goodData := filepath.Join(dir, "ws", "company.yaml"), filepath.Join(dir, "ws", "kpis.csv")
	write := func(name string, fill func(f *os.File)) string {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		require.NoError(t, err)
		fill(f)
		require.NoError(t, f.Close())
		return path
	}
	repeat := func(s string, n int) func(f *os.File) {
		return func(f *os.File) {
			chunk := []byte(strings.Repeat(s, max(1, (1<<20)/len(s))))
			for written := 0; written < n; written += len(chunk) {
				_, err := f.Write(chunk)
				require.NoError(t, err)
			}
		}
	}
	text := func(s string) func(f *os.File) { return func(f *os.File) { f.WriteString(s) } }

	bomb := "company: X\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	for i := 1; i < 10; i++ {
		bomb += "a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" + strings.Repeat("*a"+string(rune('0'+i-1))+", ", 8) + "*a" + string(rune('0'+i-1)) + "]\n"
	}
	bomb += "people: *a9\n"

	for _, tc := range []struct {
		name          string
		profile, data string
		want          string
	}{
		{"200 MB file", goodProfile, write("big.csv", func(f *os.File) {
			f.WriteString("period,metric,value\n")
			repeat("2026-10,leads,5\n", 200<<20)(f)
		}), "big.csv: the file is larger than 64 MiB"},
		{"50 MB line", goodProfile, write("line.csv", func(f *os.File) {
			f.WriteString("period,metric,value\n2026-10,leads,")
			repeat("7", 50<<20)(f)
		}), "line.csv:2: a row is longer than 64 KiB"},
		{"60 MB JSON value", goodProfile, write("big.json", func(f *os.File) {
			f.WriteString(`[{"period":"2026-10","leads":"`)
			repeat("7", 60<<20)(f)
			f.WriteString(`"}]`)
		}), `big.json:1: a value is longer than 1 KiB`},
		{"binary file", goodProfile, write("bin.csv", func(f *os.File) {
			b := make([]byte, 1<<20)
			rand.Read(b)
			b[0] = 0
			f.Write(b)
		}), "bin.csv: a binary file, not text"},
		{"binary workbook", goodProfile, write("fake.xlsx", text("PK\x03\x04 not really a zip")), "fake.xlsx: not an .xlsx workbook Excel can open"},
		{"zip bomb workbook", goodProfile, write("bomb.xlsx", zipBomb(t, 80<<20)), "bomb.xlsx: the workbook unzips to more than 64 MiB, the limit"},
		{"billion laughs", write("bomb.yaml", text(bomb)), goodData, "bomb.yaml:3: YAML aliases (*name) are not read in a company profile"},
		{"deep nesting", write("deep.yaml", text("company: X\nx: "+strings.Repeat("[", 200_000)+strings.Repeat("]", 200_000)+"\n")), goodData, "deep.yaml:2: not valid YAML: exceeded max depth"},
		{"huge profile", write("huge.yaml", repeat("# a comment line\n", 100<<20)), goodData, "huge.yaml: the file is larger than 1 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "w.db")
			code, stderr, rss := measured(t, bin, "ask", "--profile", tc.profile, "--data", tc.data, "--db", db, "--as", "anna", "why did leads rise?")
			require.Equal(t, 2, code, stderr)
			require.Contains(t, stderr, tc.want)
			require.Contains(t, stderr, "nothing was imported")
			require.LessOrEqual(t, rss, int64(200<<10), "peak RSS %d KiB", rss)
			out, _, code := run(t, "", "review", "list", "--db", db, "--json")
			require.Zero(t, code)
			require.Equal(t, "[]\n", out, "nothing half-written")
		})
	}
}

// peakRSS is a small program that runs one command and reports its peak RSS. The kernel's
// figure for a child started straight from the test would be the test process's own: Go
// starts children with vfork, and a child's high-water mark includes the parent's memory it
// shared until exec. Started from this program (a few MB), the figure is the command's.
var peakRSS string

const peakRSSSource = `package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "\npeak-rss-kib: %d\n", cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)
	os.Exit(code)
}
`

// buildPeakRSS builds that program into dir.
func buildPeakRSS(dir string) error {
	src := filepath.Join(dir, "peakrss.go")
	if err := os.WriteFile(src, []byte(peakRSSSource), 0o644); err != nil {
		return err
	}
	peakRSS = filepath.Join(dir, "peakrss")
	if out, err := exec.Command("go", "build", "-o", peakRSS, src).CombinedOutput(); err != nil {
		return fmt.Errorf("build peakrss: %w\n%s", err, out)
	}
	return nil
}

// measured runs bin with args through peakRSS: the exit code, stderr and the command's
// peak RSS in KiB.
func measured(t *testing.T, bin string, args ...string) (int, string, int64) {
	t.Helper()
	cmd := exec.Command(peakRSS, append([]string{bin}, args...)...)
	cmd.Env = append(os.Environ(), "DATABASE_URL=")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	out := errb.String()
	i := strings.LastIndex(out, "\npeak-rss-kib: ")
	require.GreaterOrEqual(t, i, 0, out)
	rss, err := strconv.ParseInt(strings.TrimSpace(out[i+len("\npeak-rss-kib: "):]), 10, 64)
	require.NoError(t, err)
	return code, out[:i], rss
}

// zipBomb writes a workbook of a few hundred KB whose sheet unzips to n bytes.
func zipBomb(t *testing.T, n int) func(f *os.File) {
	return func(f *os.File) {
		z := zip.NewWriter(f)
		part := func(name, body string) {
			w, err := z.Create(name)
			require.NoError(t, err)
			w.Write([]byte(body))
		}
		part("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)
		part("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
		part("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`)
		part("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
		w, err := z.Create("xl/worksheets/sheet1.xml")
		require.NoError(t, err)
		w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`))
		row := bytes.Repeat([]byte(`<row><c t="inlineStr"><is><t>2026-01</t></is></c><c><v>1</v></c></row>`), 10_000)
		for written := 0; written < n; written += len(row) {
			w.Write(row)
		}
		w.Write([]byte(`</sheetData></worksheet>`))
		require.NoError(t, z.Close())
	}
}
