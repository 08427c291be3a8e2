// Package pgtest gives each test its own PostgreSQL schema in the database named by
// TEST_DATABASE_URL, so tests run in parallel without seeing each other's rows. Without that
// variable the test fails (never skips) and says how to start the database.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Setup is the command that installs and starts the test database.
const Setup = `eval "$(bash deploy/postgres.sh)"`

// DatabaseURL returns TEST_DATABASE_URL or fails the test with how to set it.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		t.Fatalf("TEST_DATABASE_URL is not set: the PostgreSQL tests need a real PostgreSQL with pgvector; run `%s` from the repository root (deploy/test.sh does it for you)", Setup)
	}
	return u
}

// Schema creates an empty schema for this test, drops it when the test ends, and returns
// a connection URL whose search_path puts it first (public stays reachable for pgvector).
func Schema(t testing.TB) string {
	t.Helper()
	base := DatabaseURL(t)
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "t_" + strings.ToLower(hex.EncodeToString(b))
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to TEST_DATABASE_URL: %v (is the database running? run `%s`)", err, Setup)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+name); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("drop test schema %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), `DROP SCHEMA `+name+` CASCADE`); err != nil {
			t.Errorf("drop test schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", name+",public")
	q.Set("pool_max_conns", "6")
	u.RawQuery = q.Encode()
	return u.String()
}
