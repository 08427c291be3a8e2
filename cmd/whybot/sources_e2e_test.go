package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/slack"
	"github.com/whybot/whybot/knowledge/secret"
	"github.com/whybot/whybot/knowledge/source/sourcetest"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/sqlitestore"
)

const sourcesProfile = `company: Ceramiche Rossi S.r.l.
workspace: rossi
language: it
locale: it
people:
  - {handle: anna, name: Anna Rossi, role: owner, reviewer: true}
  - {handle: giulia, role: marketing}
sources:
  - name: ga4_web
    kind: ga4
    property: "123456"
    by: [channel]
    timezone: Europe/Rome
    backfill_months: 12
  - name: meta
    kind: meta_ads
    account: act_555
`

// An agency connects a client's GA4 from the command line: the credential is sealed in
// the database, a test pull stores nothing, a pull stores a version, and the next answer
// takes its numbers from GA4 and says so.
func TestSourcesFromTheCommandLine(t *testing.T) {
	t.Parallel()
	data := sourcetest.NewData()
	ga4 := sourcetest.NewGA4(t, data)
	oauth := sourcetest.NewOAuth(t, ga4.Token)
	dir := t.TempDir()
	prof, csv, db := filepath.Join(dir, "company.yaml"), filepath.Join(dir, "kpis.csv"), filepath.Join(dir, "w.db")
	require.NoError(t, os.WriteFile(prof, []byte(sourcesProfile), 0o644))
	var b strings.Builder
	b.WriteString("period,metric,value\n")
	for m := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC); m.Before(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); m = m.AddDate(0, 1, 0) {
		fmt.Fprintf(&b, "%s,leads,%d\n", m.Format("2006-01"), 50+m.Month())
	}
	require.NoError(t, os.WriteFile(csv, []byte(b.String()), 0o644))
	env := []string{"DATABASE_URL=", "WHYBOT_DB=" + db, "WHYBOT_SECRET_KEY=", "WHYBOT_SECRET_KEY_FILE=",
		"WHYBOT_SOURCE_ENDPOINTS=ga4=" + ga4.URL + ",google_token=" + oauth.TokenURL(),
		"WHYBOT_GOOGLE_CLIENT_ID=" + oauth.ClientID, "WHYBOT_GOOGLE_CLIENT_SECRET=" + oauth.ClientSecret}
	sh := func(stdin string, args ...string) (string, string, int) { return runIn(t, stdin, env, args...) }

	_, stderr, code := sh("", "ask", "--profile", prof, "--data", csv, "--as", "anna", "--json", "quante sessioni a ottobre 2026?")
	require.Zero(t, code, stderr)

	out, stderr, code := sh("", "source", "list", "--json")
	require.Zero(t, code, stderr)
	var list struct {
		Sources []struct {
			Name      string
			Connected bool
			Version   int64
			Failing   string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list.Sources, 2)
	require.False(t, list.Sources[0].Connected)

	_, stderr, code = sh(oauth.RefreshToken+"\n", "source", "connect", "ga4_web")
	require.Zero(t, code, stderr)
	st, err := os.Stat(db + ".key")
	require.NoError(t, err, "a key file is made beside the embedded database")
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	for _, f := range []string{db, db + "-wal"} {
		raw, _ := os.ReadFile(f)
		require.NotContains(t, string(raw), oauth.RefreshToken, "the token is sealed in %s", f)
	}

	// ranges given, so the test reads the same months whatever day it runs
	year := []string{"--from", "2025-12-01", "--to", "2026-11-30"}
	out, stderr, code = sh("", append([]string{"source", "test", "ga4_web"}, year...)...)
	require.Zero(t, code, stderr)
	require.Contains(t, out, "Would store (test: nothing stored) ga4_web: 108 rows", "12 months × 3 metrics × 3 channels")
	require.Contains(t, out, "From: GA4 Data API v1beta, properties/123456:runReport")
	require.Equal(t, 12, ga4.Count())
	out, _, _ = sh("", "source", "list", "--json")
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Zero(t, list.Sources[0].Version, "a test stores nothing")

	out, stderr, code = sh("", append([]string{"source", "pull", "ga4_web"}, year...)...)
	require.Zero(t, code, stderr)
	require.Contains(t, out, "Version 1.")
	out, _, _ = sh("", "source", "list", "--json")
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.EqualValues(t, 1, list.Sources[0].Version)
	require.True(t, list.Sources[0].Connected)

	out, stderr, code = sh("", "ask", "--profile", prof, "--data", csv, "--as", "anna", "--json", "quante sessioni a ottobre 2026?")
	require.Zero(t, code, stderr)
	var r struct{ Draft *struct{ Text string } }
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.NotNil(t, r.Draft)
	oct := data.Sum(sourcetest.Sessions, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), -1, 3)
	require.Contains(t, r.Draft.Text, fmt.Sprintf("%.0f", oct))
	require.Contains(t, r.Draft.Text, "Fonte: Google Analytics 4 (fonte ga4_web)", r.Draft.Text)

	// GA4 restates 29 November: the next pull records it, and the answer says so
	nov29 := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	nov1, nov30 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	before := data.Sum(sourcetest.Sessions, nov1, nov30, -1, 3)
	data.Revise(sourcetest.Sessions, nov29, 0, data.Value(sourcetest.Sessions, nov29, 0)+40)
	out, stderr, code = sh("", "source", "pull", "ga4_web", "--from", "2026-11-01", "--to", "2026-11-30")
	require.Zero(t, code, stderr)
	require.Contains(t, out, "Revised: sessions 2026-11 Organic Search from")
	out, stderr, code = sh("", "ask", "--profile", prof, "--data", csv, "--as", "anna", "--json", "perché le sessioni sono aumentate?")
	require.Zero(t, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.NotNil(t, r.Draft)
	require.Contains(t, r.Draft.Text, "a novembre 2026 (Google Analytics 4, fonte ga4_web), contro", "the opening says where the figure comes from")
	require.Contains(t, r.Draft.Text, fmt.Sprintf("Il dato delle sessioni a novembre 2026 è stato rivisto dalla piattaforma da %.0f a %.0f (fonte ga4_web)", before, before+40), r.Draft.Text)

	// meta was never connected: a clear reason, in Italian, with the fix
	_, stderr, code = sh("", "source", "pull", "meta")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "La fonte meta (meta_ads) non si è aggiornata")
	require.Contains(t, stderr, "whybot source connect meta")

	// rotation: the file's key becomes old, a new key seals again
	fileKey := strings.TrimSpace(readFile(t, db+".key"))
	newKey := secret.NewKey("k2027")
	rot := append(env, "WHYBOT_SECRET_KEY="+newKey, "WHYBOT_SECRET_KEYS_OLD="+fileKey)
	oldKeys, err := secret.Parse(fileKey)
	require.NoError(t, err)
	kdb, err := sqlitestore.Open(context.Background(), db)
	require.NoError(t, err)
	sealed, keyID, err := slack.Seal(oldKeys, "T0ROSSI", "xoxb-rossi-1")
	require.NoError(t, err)
	require.NoError(t, kdb.PutSlackInstall(context.Background(), store.SlackInstall{Team: "T0ROSSI", State: store.InstallActive, KeyID: keyID, Sealed: sealed,
		InstalledAt: time.Now(), UpdatedAt: time.Now()}))
	require.NoError(t, kdb.Close())
	out, stderr, code = runIn(t, "", rot, "secret", "rotate")
	require.Zero(t, code, stderr)
	require.Contains(t, out, "Sealed 1 credentials and 1 Slack bot tokens again with key k2027")
	kdb, err = sqlitestore.Open(context.Background(), db)
	require.NoError(t, err)
	in, err := kdb.SlackInstall(context.Background(), "T0ROSSI")
	require.NoError(t, err)
	require.NoError(t, kdb.Close())
	newKeys, err := secret.Parse(newKey)
	require.NoError(t, err)
	tok, err := newKeys.Open(in.Sealed, "slack-team", "T0ROSSI")
	require.NoError(t, err, "the Slack token opens with the new key alone")
	require.Equal(t, "xoxb-rossi-1", string(tok))
	_, err = oldKeys.Open(in.Sealed, "slack-team", "T0ROSSI")
	require.Error(t, err, "the old key no longer opens it")
	ga4.Reset()
	out, stderr, code = runIn(t, "", append(env, "WHYBOT_SECRET_KEY="+newKey), "source", "pull", "ga4_web", "--from", "2026-11-01", "--to", "2026-11-30")
	require.Zero(t, code, stderr, "only the new key is needed now")
	require.Contains(t, out, "Version 3.")
	require.Equal(t, 1, ga4.Count())
}

func readFile(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// A company whose numbers all come from GA4 has no data file: its profile is stored by
// the source commands, it cannot answer before the first pull, and answers from GA4 after.
func TestSourcesOnlyCompany(t *testing.T) {
	t.Parallel()
	data := sourcetest.NewData()
	ga4 := sourcetest.NewGA4(t, data)
	dir := t.TempDir()
	prof, db, key := filepath.Join(dir, "company.yaml"), filepath.Join(dir, "w.db"), filepath.Join(dir, "sa.json")
	require.NoError(t, os.WriteFile(prof, []byte(`company: Ceramiche Verdi
workspace: verdi
language: it
people:
  - {handle: anna, name: Anna Verdi, role: owner, reviewer: true}
sources:
  - {name: ga4_web, kind: ga4, property: "777", timezone: Europe/Rome}
`), 0o644))
	o := sourcetest.NewOAuth(t, ga4.Token)
	require.NoError(t, os.WriteFile(key, o.ServiceAccountJSON(), 0o600))
	env := []string{"DATABASE_URL=", "WHYBOT_DB=" + db, "WHYBOT_SECRET_KEY=", "WHYBOT_SECRET_KEY_FILE=", "WHYBOT_SOURCE_ENDPOINTS=ga4=" + ga4.URL}
	sh := func(args ...string) (string, string, int) { return runIn(t, "", env, args...) }

	_, stderr, code := sh("source", "connect", "ga4_web", "--profile", prof, "--key", key)
	require.Zero(t, code, stderr)
	_, stderr, code = sh("ask", "--profile", prof, "--as", "anna", "quante sessioni a ottobre 2026?")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "its sources have not been pulled")

	_, stderr, code = sh("source", "pull", "ga4_web", "--from", "2025-12-01", "--to", "2026-11-30")
	require.Zero(t, code, stderr)
	require.Equal(t, "urn:ietf:params:oauth:grant-type:jwt-bearer", o.Grants[0].Get("grant_type"), "the service account signed in")
	out, stderr, code := sh("ask", "--profile", prof, "--as", "anna", "--json", "quante sessioni a ottobre 2026?")
	require.Zero(t, code, stderr)
	var r struct{ Draft *struct{ Text string } }
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.NotNil(t, r.Draft)
	oct := data.Sum(sourcetest.Sessions, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), -1, 3)
	require.Contains(t, r.Draft.Text, fmt.Sprintf("Sessioni a ottobre 2026: %.0f. Fonte: Google Analytics 4 (fonte ga4_web)", oct))
}

// serve stores a folder with no data file whose numbers come from its sources, and its job
// worker pulls them at once: the slot of the day was never taken.
func TestServePullsASourcesOnlyCompany(t *testing.T) {
	t.Parallel()
	data := sourcetest.NewData()
	ga4 := sourcetest.NewGA4(t, data)
	o := sourcetest.NewOAuth(t, ga4.Token)
	dir := t.TempDir()
	ws, db, key := filepath.Join(dir, "verdi"), filepath.Join(dir, "w.db"), filepath.Join(dir, "sa.json")
	require.NoError(t, os.MkdirAll(ws, 0o755))
	prof := filepath.Join(ws, "company.yaml")
	require.NoError(t, os.WriteFile(prof, []byte("company: Ceramiche Verdi\nworkspace: verdi\nlanguage: it\npeople:\n  - {handle: anna, role: owner, reviewer: true}\nsources:\n  - {name: ga4_web, kind: ga4, property: \"777\", backfill_months: 2}\n"), 0o644))
	require.NoError(t, os.WriteFile(key, o.ServiceAccountJSON(), 0o600))
	env := []string{"DATABASE_URL=", "WHYBOT_DB=" + db, "WHYBOT_SECRET_KEY=", "WHYBOT_SECRET_KEY_FILE=", "WHYBOT_SOURCE_ENDPOINTS=ga4=" + ga4.URL, "WHYBOT_WORKSPACES="}
	_, stderr, code := runIn(t, "", env, "source", "connect", "ga4_web", "--profile", prof, "--key", key)
	require.Zero(t, code, stderr)

	out := started(t, env, "serve", "--db", db, "--workspace", ws, "--poll", "100ms")
	var list struct{ Sources []struct{ Version int64 } }
	require.Eventually(t, func() bool {
		got, _, code := runIn(t, "", env, "source", "list", "--workspace", "verdi", "--json")
		return code == 0 && json.Unmarshal([]byte(got), &list) == nil && len(list.Sources) == 1 && list.Sources[0].Version == 1
	}, 30*time.Second, 200*time.Millisecond, "serve pulled the source: %s", out.String())
	require.Equal(t, 2, ga4.Count(), "two months of backfill, pulled once")
}
