package sourcetest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// OAuth is a fake OAuth 2 token endpoint (POST /token): the refresh_token grant with the
// app's client id and secret, and Google's JWT bearer grant for a service account, whose
// RS256 signature is checked against the key it issued.
type OAuth struct {
	*Fake
	ClientID, ClientSecret, RefreshToken string
	// Key is the service account's key; its JSON is ServiceAccountJSON.
	Key    *rsa.PrivateKey
	Email  string
	Grants []url.Values
	gmu    sync.Mutex
	codes  map[string]authCode
}

type authCode struct{ challenge, redirect string }

// Authorize is the provider's consent page said yes to an authorization URL: it checks the
// URL (client, redirect, PKCE S256, offline access) and returns the code it would send to
// the redirect.
func (o *OAuth) Authorize(t testing.TB, authURL string) (code, redirect, state string) {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for k, want := range map[string]string{"client_id": o.ClientID, "response_type": "code", "code_challenge_method": "S256", "access_type": "offline", "prompt": "consent"} {
		if q.Get(k) != want {
			t.Fatalf("authorization URL: %s=%q, want %q (%s)", k, q.Get(k), want, authURL)
		}
	}
	if q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("redirect_uri") == "" || q.Get("scope") == "" {
		t.Fatalf("authorization URL lacks the challenge, state, redirect or scope: %s", authURL)
	}
	o.gmu.Lock()
	defer o.gmu.Unlock()
	if o.codes == nil {
		o.codes = map[string]authCode{}
	}
	code = "code-" + q.Get("state")[:8]
	o.codes[code] = authCode{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
	return code, q.Get("redirect_uri"), q.Get("state")
}

// NewOAuth starts a fake token endpoint that hands out token (the access token the
// platform fakes accept).
func NewOAuth(t testing.TB, token string) *OAuth {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	o := &OAuth{ClientID: "client-id.apps.example", ClientSecret: "client-secret", RefreshToken: "1//refresh-token", Key: key, Email: "whybot@project.iam.gserviceaccount.com"}
	o.Fake = newFake(t, nil, o.handle, func(status int, msg string) string {
		b, _ := json.Marshal(map[string]string{"error": "invalid_request", "error_description": msg})
		return string(b)
	})
	o.Token = token
	return o
}

// TokenURL is where tokens are asked for.
func (o *OAuth) TokenURL() string { return o.URL + "/token" }

// ServiceAccountJSON is a Google service account key file pointing at this endpoint.
func (o *OAuth) ServiceAccountJSON() []byte {
	der := x509.MarshalPKCS1PrivateKey(o.Key)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der})
	b, _ := json.Marshal(map[string]string{"type": "service_account", "project_id": "whybot-test", "private_key_id": "k1",
		"private_key": string(pemKey), "client_email": o.Email, "client_id": "1", "token_uri": o.TokenURL()})
	return b
}

func (o *OAuth) handle(f *Fake, w http.ResponseWriter, r *http.Request, body []byte, fault Fault) {
	form, _ := url.ParseQuery(string(body))
	o.gmu.Lock()
	o.Grants = append(o.Grants, form)
	o.gmu.Unlock()
	refuse := func(code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if r.Method != http.MethodPost || r.URL.Path != "/token" {
		refuse("invalid_request", "not the token endpoint")
		return
	}
	if fault.Revoke {
		refuse("invalid_grant", "Token has been expired or revoked.")
		return
	}
	switch form.Get("grant_type") {
	case "refresh_token":
		id, secret := form.Get("client_id"), form.Get("client_secret")
		if u, p, ok := r.BasicAuth(); ok {
			id, secret = u, p
		}
		if id != o.ClientID || secret != o.ClientSecret {
			refuse("invalid_client", "The OAuth client was not found.")
			return
		}
		if form.Get("refresh_token") != o.RefreshToken {
			refuse("invalid_grant", "Bad Request")
			return
		}
	case "authorization_code":
		o.gmu.Lock()
		c, ok := o.codes[form.Get("code")]
		delete(o.codes, form.Get("code")) // a code is used once
		o.gmu.Unlock()
		sum := sha256.Sum256([]byte(form.Get("code_verifier")))
		switch {
		case !ok:
			refuse("invalid_grant", "Malformed auth code.")
			return
		case form.Get("redirect_uri") != c.redirect:
			refuse("redirect_uri_mismatch", "Bad Request")
			return
		case base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge:
			refuse("invalid_grant", "Invalid code verifier.")
			return
		case form.Get("client_id") != o.ClientID || form.Get("client_secret") != o.ClientSecret:
			refuse("invalid_client", "Unauthorized")
			return
		}
		writeJSON(w, map[string]any{"access_token": f.Token, "refresh_token": o.RefreshToken, "token_type": "Bearer", "expires_in": 3599})
		return
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		if !o.validJWT(form.Get("assertion")) {
			refuse("invalid_grant", "Invalid JWT Signature.")
			return
		}
	default:
		refuse("unsupported_grant_type", "Invalid grant_type: "+form.Get("grant_type"))
		return
	}
	writeJSON(w, map[string]any{"access_token": f.Token, "token_type": "Bearer", "expires_in": 3599})
}

// validJWT checks the assertion's RS256 signature and its issuer and audience.
func (o *OAuth) validJWT(jwt string) bool {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&o.Key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	var claims struct {
		Iss, Aud, Scope string
	}
	if json.Unmarshal(raw, &claims) != nil {
		return false
	}
	return claims.Iss == o.Email && claims.Aud == o.TokenURL() && claims.Scope != ""
}
