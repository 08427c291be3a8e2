package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/store"
)

// runAccounts checks web console accounts, sessions and login attempts.
func runAccounts(t *testing.T, newStore func(t *testing.T) store.Store) {
	setup := func(t *testing.T) *bundle { return setupStore(t, newStore) }

	t.Run("AccountsSessionsLogins", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		hash := "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"
		_, err := b.s.Account(ctx, "sara")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, b.s.PutAccount(ctx, store.Account{Name: "sara", PasswordHash: hash, Workspaces: []string{"beta", "acme"}, CreatedAt: now, UpdatedAt: now}))
		a, err := b.s.Account(ctx, "sara")
		require.NoError(t, err)
		require.Equal(t, []string{"acme", "beta"}, a.Workspaces)
		require.Equal(t, hash, a.PasswordHash)
		require.True(t, a.Sees("acme"))
		require.False(t, a.Sees("gamma"))
		require.True(t, now.Equal(a.CreatedAt))

		// replacing: a new password and fewer workspaces, creation time kept
		later := now.Add(time.Hour)
		require.NoError(t, b.s.PutAccount(ctx, store.Account{Name: "sara", PasswordHash: hash + "2", Workspaces: []string{"beta"}, CreatedAt: later, UpdatedAt: later}))
		a, err = b.s.Account(ctx, "sara")
		require.NoError(t, err)
		require.Equal(t, []string{"beta"}, a.Workspaces)
		require.True(t, now.Equal(a.CreatedAt))
		require.True(t, later.Equal(a.UpdatedAt))

		// the console's language: set, kept by a password change, refused when unknown
		require.Empty(t, a.Language)
		require.NoError(t, b.s.SetAccountLanguage(ctx, "sara", "it", later))
		require.NoError(t, b.s.PutAccount(ctx, store.Account{Name: "sara", PasswordHash: hash + "3", Workspaces: []string{"beta"}, CreatedAt: later, UpdatedAt: later}))
		a, err = b.s.Account(ctx, "sara")
		require.NoError(t, err)
		require.Equal(t, "it", a.Language)
		require.Error(t, b.s.SetAccountLanguage(ctx, "sara", "klingon", later))
		require.ErrorIs(t, b.s.SetAccountLanguage(ctx, "nobody", "en", later), store.ErrNotFound)
		require.Error(t, b.s.PutAccount(ctx, store.Account{Name: "Bad", PasswordHash: hash, CreatedAt: now, UpdatedAt: now}), "names are lower case")
		require.Error(t, b.s.PutAccount(ctx, store.Account{Name: "plain", PasswordHash: "secret", CreatedAt: now, UpdatedAt: now}), "only argon2id hashes are stored")
		require.NoError(t, b.s.PutAccount(ctx, store.Account{Name: "admin", PasswordHash: hash, Workspaces: []string{store.AllWorkspaces}, CreatedAt: now, UpdatedAt: now}))
		all, err := b.s.Accounts(ctx)
		require.NoError(t, err)
		require.Len(t, all, 2)
		require.Equal(t, "admin", all[0].Name)
		require.True(t, all[0].Sees("gamma"))

		// sessions expire, end, and go with their account
		id := strings.Repeat("a", 64)
		require.NoError(t, b.s.CreateSession(ctx, store.Session{ID: id, Account: "sara", CSRF: "tok", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
		se, err := b.s.Session(ctx, id, now.Add(59*time.Minute))
		require.NoError(t, err)
		require.Equal(t, "sara", se.Account)
		require.Equal(t, "tok", se.CSRF)
		_, err = b.s.Session(ctx, id, now.Add(time.Hour))
		require.ErrorIs(t, err, store.ErrNotFound, "expired")
		require.NoError(t, b.s.DeleteSession(ctx, id))
		_, err = b.s.Session(ctx, id, now)
		require.ErrorIs(t, err, store.ErrNotFound, "signed out")
		require.Error(t, b.s.CreateSession(ctx, store.Session{ID: strings.Repeat("b", 64), Account: "nobody", CSRF: "t", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}), "no session without an account")
		require.NoError(t, b.s.CreateSession(ctx, store.Session{ID: strings.Repeat("c", 64), Account: "sara", CSRF: "t", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
		require.NoError(t, b.s.DeleteAccount(ctx, "sara"))
		_, err = b.s.Session(ctx, strings.Repeat("c", 64), now)
		require.ErrorIs(t, err, store.ErrNotFound, "sessions end with their account")
		require.ErrorIs(t, b.s.DeleteAccount(ctx, "sara"), store.ErrNotFound)

		// failed logins count since the window's start and the last success
		for i := range 3 {
			require.NoError(t, b.s.RecordLogin(ctx, "admin", false, now.Add(time.Duration(i)*time.Second)))
		}
		n, err := b.s.LoginFailures(ctx, "admin", now)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		n, err = b.s.LoginFailures(ctx, "admin", now.Add(1500*time.Millisecond))
		require.NoError(t, err)
		require.Equal(t, 1, n, "only failures inside the window")
		require.NoError(t, b.s.RecordLogin(ctx, "admin", true, now.Add(3*time.Second)))
		require.NoError(t, b.s.RecordLogin(ctx, "admin", false, now.Add(4*time.Second)))
		n, err = b.s.LoginFailures(ctx, "admin", now)
		require.NoError(t, err)
		require.Equal(t, 1, n, "a success resets the count")
		n, err = b.s.LoginFailures(ctx, "ghost", now)
		require.NoError(t, err)
		require.Zero(t, n)
	})
}
