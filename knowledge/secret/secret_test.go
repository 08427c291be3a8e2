package secret_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/secret"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	k, err := secret.Parse(secret.NewKey("2026-12"))
	require.NoError(t, err)
	sealed, id, err := k.Seal([]byte(`{"token":"EAAB-secret"}`), "acme", "meta")
	require.NoError(t, err)
	require.Equal(t, "2026-12", id)
	require.NotContains(t, sealed, "EAAB")
	plain, err := k.Open(sealed, "acme", "meta")
	require.NoError(t, err)
	require.Equal(t, `{"token":"EAAB-secret"}`, string(plain))

	_, err = k.Open(sealed, "beta", "meta")
	require.ErrorContains(t, err, "another workspace", "a sealed value moved to another workspace does not open")
	_, err = k.Open(sealed, "acme", "ga4")
	require.Error(t, err)
	tampered := sealed[:len(sealed)-2] + "AA"
	_, err = k.Open(tampered, "acme", "meta")
	require.Error(t, err)
	again, _, _ := k.Seal([]byte(`{"token":"EAAB-secret"}`), "acme", "meta")
	require.NotEqual(t, sealed, again, "a fresh nonce every time")
}

func TestRotation(t *testing.T) {
	t.Parallel()
	oldKey, newKey := secret.NewKey("k2025"), secret.NewKey("k2026")
	before, err := secret.Parse(oldKey)
	require.NoError(t, err)
	sealed, _, err := before.Seal([]byte("refresh"), "acme", "ga4")
	require.NoError(t, err)

	during, err := secret.Parse(newKey, oldKey)
	require.NoError(t, err)
	plain, err := during.Open(sealed, "acme", "ga4")
	require.NoError(t, err, "the old key still opens")
	resealed, id, err := during.Seal(plain, "acme", "ga4")
	require.NoError(t, err)
	require.Equal(t, "k2026", id)
	require.Equal(t, "k2026", secret.KeyOf(resealed))

	after, err := secret.Parse(newKey)
	require.NoError(t, err)
	_, err = after.Open(sealed, "acme", "ga4")
	require.ErrorContains(t, err, `key "k2025"`, "once dropped, the old key's values say which key they need")
	got, err := after.Open(resealed, "acme", "ga4")
	require.NoError(t, err)
	require.Equal(t, "refresh", string(got))
}

func TestFromEnv(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	k, err := secret.FromEnv(env(nil), "", false)
	require.NoError(t, err)
	_, _, err = k.Seal([]byte("x"), "a", "b")
	require.ErrorIs(t, err, secret.ErrNoKey)

	_, err = secret.Parse("not-base64!")
	require.ErrorContains(t, err, "32 bytes")

	file := filepath.Join(t.TempDir(), "whybot.db.key")
	k, err = secret.FromEnv(env(nil), file, true)
	require.NoError(t, err)
	require.True(t, k.Has())
	st, err := os.Stat(file)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "the key file is the owner's only")
	k2, err := secret.FromEnv(env(nil), file, true)
	require.NoError(t, err)
	require.Equal(t, k.Current(), k2.Current(), "the file is read, not made again")

	cur := secret.NewKey("")
	k3, err := secret.FromEnv(env(map[string]string{"WHYBOT_SECRET_KEY": cur, "WHYBOT_SECRET_KEYS_OLD": secret.NewKey("a") + "," + secret.NewKey("b")}), file, true)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(cur, k3.Current()+":"))
}
