package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/ops"
)

// TestREADMEConfigurationTable: the README's table is the one the code prints
// (`go run ./cmd/whybot config table` gives the text to paste between the markers).
func TestREADMEConfigurationTable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../../README.md")
	require.NoError(t, err)
	const begin, end = "<!-- settings:begin (whybot config table) -->\n", "<!-- settings:end -->"
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	require.True(t, i >= 0 && j > i, "README.md lacks the settings markers")
	require.Equal(t, settingsTable(), s[i+len(begin):j], "README.md's configuration table differs from the code: paste `go run ./cmd/whybot config table` between the markers")
}

var envName = regexp.MustCompile(`^[A-Z][A-Z0-9]*_[A-Z0-9_]+$`)

// TestEverySettingIsDocumented finds every environment variable the code reads (a string
// literal passed to a Getenv-like function) and requires it in the settings table, and
// every variable in the table to be read somewhere.
func TestEverySettingIsDocumented(t *testing.T) {
	t.Parallel()
	read := map[string]string{}
	err := filepath.WalkDir("../../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "artifacts") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			name := ""
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			if !strings.HasSuffix(strings.ToLower(name), "env") {
				return true
			}
			for _, a := range call.Args {
				if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if v, err := strconv.Unquote(lit.Value); err == nil && envName.MatchString(v) {
						read[v] = path
					}
				}
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	documented := map[string]bool{}
	for _, s := range settings {
		for _, e := range s.Env {
			documented[e] = true
			require.Contains(t, read, e, "%s is in the settings table but nothing reads it", e)
		}
	}
	for v, path := range read {
		require.True(t, documented[v], "%s (read in %s) is not in the settings table (cmd/whybot/cli/settings.go)", v, path)
	}
	require.Greater(t, len(read), 30)
}

// The inbox retention: 7 days by default, a duration of at least an hour otherwise.
func TestInboxRetentionSetting(t *testing.T) {
	t.Parallel()
	tm, err := serveTimingFromEnv(ops.Pairs())
	require.NoError(t, err)
	require.Equal(t, 7*24*time.Hour, tm.Retention)
	tm, err = serveTimingFromEnv(ops.Pairs("WHYBOT_INBOX_RETENTION", "720h"))
	require.NoError(t, err)
	require.Equal(t, 30*24*time.Hour, tm.Retention)
	_, err = serveTimingFromEnv(ops.Pairs("WHYBOT_INBOX_RETENTION", "10m"))
	require.ErrorContains(t, err, "WHYBOT_INBOX_RETENTION=10m0s is shorter than a platform's retries")
	_, err = serveTimingFromEnv(ops.Pairs("WHYBOT_INBOX_RETENTION", "a week"))
	require.ErrorContains(t, err, `WHYBOT_INBOX_RETENTION="a week" is not a duration`)
}
