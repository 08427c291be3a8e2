package web

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// After sign-in the browser goes to next only when it is a path of this site.
func TestSafeNext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/inbox": "/inbox", "/w/rossi/drafts/d_1?x=1#top": "/w/rossi/drafts/d_1?x=1#top", "": "/inbox",
		"/\t/evil.example": "/inbox", "/%09/evil.example": "/%09/evil.example", // percent-encoded stays a path
		"//evil.example": "/inbox", "/\\evil.example": "/inbox", "\\\\evil.example": "/inbox", "https://evil.example": "/inbox",
		"/\n/evil.example": "/inbox", "/\r\n/x": "/inbox", "/ /evil": "/inbox", "/\u00a0/evil": "/inbox", "/\u2028/evil": "/inbox",
		"evil.example": "/inbox", "javascript:alert(1)": "/inbox", "/a\\b": "/inbox", "/\x7f/x": "/inbox",
	} {
		require.Equal(t, want, safeNext(in), "%q", in)
	}
}
