package storetest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
)

// SeedSample stores the sample workspace (profile and KPI snapshot), as serve does at
// start, with its company.yaml first edited by the old, new pairs given (each old text
// must be there, so a test cannot silently seed the unedited sample).
func SeedSample(t testing.TB, st store.Store, replace ...string) *workspace.Workspace {
	t.Helper()
	ctx := context.Background()
	prof, data, err := sample.Write(filepath.Join(t.TempDir(), "ws"))
	require.NoError(t, err)
	y, err := os.ReadFile(prof)
	require.NoError(t, err)
	for i := 0; i+1 < len(replace); i += 2 {
		require.Contains(t, string(y), replace[i])
	}
	require.NoError(t, os.WriteFile(prof, []byte(strings.NewReplacer(replace...).Replace(string(y))), 0o644))
	ws, err := workspace.Load(prof, []string{data})
	require.NoError(t, err)
	rec, err := ws.Record()
	require.NoError(t, err)
	rec.UpdatedAt = time.Now()
	require.NoError(t, st.UpsertWorkspace(ctx, rec))
	require.NoError(t, st.ReplaceKPI(ctx, rec.ID, ws.KPIRows(), time.Now()))
	return ws
}

// Clock is a settable clock for tests: give Now to the engine and the workers, and Add to
// let a backoff or a lease pass at once.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock forward.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
