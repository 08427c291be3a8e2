package source_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/source"
	"github.com/whybot/whybot/knowledge/store/pgstore/pgtest"
)

// warehouse is a schema of a real PostgreSQL with a table of daily orders, as an agency's
// warehouse holds them.
func warehouse(t *testing.T) string {
	u, err := url.Parse(pgtest.Schema(t))
	require.NoError(t, err)
	q := u.Query()
	q.Del("pool_max_conns")
	u.RawQuery = q.Encode()
	dsn := u.String()
	conn, err := pgx.Connect(context.Background(), dsn)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(context.Background(), `CREATE TABLE orders (day date, channel text, revenue numeric(12,2), customer_email text);
		INSERT INTO orders SELECT d::date, CASE WHEN extract(day FROM d)::int % 2 = 0 THEN 'email' ELSE 'organic' END, 100.50, 'x@example.com'
		FROM generate_series('2026-09-01'::date, '2026-11-30'::date, '1 day') d`)
	require.NoError(t, err)
	return dsn
}

func TestSQL(t *testing.T) {
	t.Parallel()
	dsn := warehouse(t)
	cred := source.Credential{DSN: dsn}
	decl := profile.Source{Name: "dwh", Kind: "sql", Query: `SELECT date_trunc('month', day)::date AS period, 'revenue' AS metric, sum(revenue) AS value, channel
		FROM orders WHERE day BETWEEN $1 AND $2 GROUP BY 1, 4 ORDER BY 1, 4`}
	pull := func(t *testing.T, d profile.Source, env source.Env) (source.Result, error) {
		s, err := source.New(d, cred, env)
		require.NoError(t, err)
		return s.Pull(t.Context(), octNov)
	}

	t.Run("a totals query becomes rows by month and breakdown", func(t *testing.T) {
		res, err := pull(t, decl, source.Env{})
		require.NoError(t, err)
		require.Len(t, res.Rows, 4, "October and November, two channels; September is outside $1..$2")
		got := map[string]float64{}
		for _, r := range res.Rows {
			got[sourcetest_key(r)] = r.Value
		}
		require.InDelta(t, 15*100.50, got["2026-10|revenue|email"], 1e-9)
		require.InDelta(t, 16*100.50, got["2026-10|revenue|organic"], 1e-9)
		require.Equal(t, "PostgreSQL query", res.Provenance.API)
		require.NotContains(t, res.Provenance.Endpoint, "postgres@", "no user or password in the provenance")
	})

	t.Run("the query cannot write", func(t *testing.T) {
		w := decl
		w.Query = `WITH x AS (DELETE FROM orders RETURNING 1) SELECT '2026-10' AS period, 'revenue' AS metric, count(*) AS value FROM x`
		_, err := pull(t, w, source.Env{})
		e, ok := source.AsError(err)
		require.True(t, ok, "%v", err)
		require.Equal(t, source.ReasonConfig, e.Reason)
		require.Contains(t, e.Detail, "only reads")
		res, err := pull(t, decl, source.Env{})
		require.NoError(t, err)
		require.Len(t, res.Rows, 4, "nothing was deleted")
	})

	t.Run("a slow query hits the statement timeout", func(t *testing.T) {
		slow := decl
		slow.Query = `SELECT '2026-10' AS period, 'revenue' AS metric, 1 AS value FROM pg_sleep(5)`
		start := time.Now()
		_, err := pull(t, slow, source.Env{SQLTimeout: 300 * time.Millisecond})
		e, _ := source.AsError(err)
		require.Equal(t, source.ReasonTimeout, e.Reason)
		require.Less(t, time.Since(start), 4*time.Second)
	})

	t.Run("missing columns and unknown metrics are named", func(t *testing.T) {
		bad := decl
		bad.Query = `SELECT day, sum(revenue) AS value FROM orders GROUP BY 1`
		_, err := pull(t, bad, source.Env{})
		e, _ := source.AsError(err)
		require.Contains(t, e.Detail, "no period column")
		bad.Query = `SELECT '2026-10' AS period, 'revenu' AS metric, 1 AS value`
		_, err = pull(t, bad, source.Env{})
		e, _ = source.AsError(err)
		require.Equal(t, source.ReasonData, e.Reason)
		require.Contains(t, e.Detail, "did you mean revenue")
	})

	t.Run("a wrong password is a sign-in problem, never echoed", func(t *testing.T) {
		u, _ := url.Parse(dsn)
		u.User = url.UserPassword("nobody", "s3cret-pw")
		s, _ := source.New(decl, source.Credential{DSN: u.String()}, source.Env{})
		_, err := s.Pull(t.Context(), source.Request{From: oct1, To: nov30, Grain: kpi.Month})
		require.Error(t, err)
		require.NotContains(t, err.Error(), "s3cret-pw")
	})
}

func sourcetest_key(r kpi.Row) string {
	return r.Period.String() + "|" + r.Metric + "|" + r.Dims.Channel
}
