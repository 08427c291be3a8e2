// Package secret seals the credentials of a workspace's sources (refresh tokens, access
// tokens, service account keys, connection strings) with XChaCha20-Poly1305 under a key
// of the keyring, bound to the workspace and source they belong to, so a sealed value
// copied to another row does not open.
//
// The keyring comes from WHYBOT_SECRET_KEY (the current key) and WHYBOT_SECRET_KEYS_OLD
// (keys that only open), or a key file whose first line is the current key. A key is 32
// random bytes in base64, optionally named: "2026-12:BASE64". Rotation: make a new key
// current, keep the old one in WHYBOT_SECRET_KEYS_OLD, run `whybot secret rotate` (every
// credential is sealed again with the new key), then drop the old key.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// Keyring seals with its current key and opens with any of its keys.
type Keyring struct {
	current string
	keys    map[string][]byte
}

// ErrNoKey is a keyring with no key: nothing can be sealed.
var ErrNoKey = errors.New("no secret key: set WHYBOT_SECRET_KEY (make one with `whybot secret new`) or WHYBOT_SECRET_KEY_FILE")

// NewKey is a new random key, named, as WHYBOT_SECRET_KEY takes it.
func NewKey(name string) string {
	b := make([]byte, chacha20poly1305.KeySize)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on a working system
	}
	if name == "" {
		name = keyID(b)
	}
	return name + ":" + base64.StdEncoding.EncodeToString(b)
}

// Parse reads a current key and any old ones ("name:base64" or "base64").
func Parse(current string, old ...string) (*Keyring, error) {
	k := &Keyring{keys: map[string][]byte{}}
	add := func(spec string, cur bool) error {
		spec = strings.TrimSpace(spec)
		if spec == "" {
			return nil
		}
		name, b64, named := strings.Cut(spec, ":")
		if !named {
			b64 = name
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			key, err = base64.RawURLEncoding.DecodeString(b64)
		}
		if err != nil || len(key) != chacha20poly1305.KeySize {
			return fmt.Errorf("a secret key is 32 bytes in base64 (make one with `whybot secret new`); this one is not")
		}
		if !named {
			name = keyID(key)
		}
		if strings.ContainsAny(name, ". \t") {
			return fmt.Errorf("key name %q may not contain dots or spaces", name)
		}
		k.keys[name] = key
		if cur {
			k.current = name
		}
		return nil
	}
	if err := add(current, true); err != nil {
		return nil, err
	}
	for _, o := range old {
		for _, spec := range strings.Split(o, ",") {
			if err := add(spec, false); err != nil {
				return nil, err
			}
		}
	}
	return k, nil
}

// FromEnv is the keyring the environment gives: WHYBOT_SECRET_KEY and
// WHYBOT_SECRET_KEYS_OLD, else the key file WHYBOT_SECRET_KEY_FILE, else defaultFile
// (created with a new key when create is true and it does not exist).
func FromEnv(getenv func(string) string, defaultFile string, create bool) (*Keyring, error) {
	if cur := getenv("WHYBOT_SECRET_KEY"); cur != "" {
		return Parse(cur, getenv("WHYBOT_SECRET_KEYS_OLD"))
	}
	file := getenv("WHYBOT_SECRET_KEY_FILE")
	if file == "" {
		file = defaultFile
	}
	if file == "" {
		return &Keyring{keys: map[string][]byte{}}, nil
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) && create && getenv("WHYBOT_SECRET_KEY_FILE") == "" {
		if err := os.WriteFile(file, []byte(NewKey("")+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("create the secret key file %s: %w", file, err)
		}
		b, err = os.ReadFile(file)
	}
	if errors.Is(err, os.ErrNotExist) {
		return &Keyring{keys: map[string][]byte{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the secret key file %s: %w", file, err)
	}
	lines := strings.Fields(string(b))
	if len(lines) == 0 {
		return nil, fmt.Errorf("the secret key file %s is empty", file)
	}
	k, err := Parse(lines[0], lines[1:]...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return k, nil
}

// Current is the name of the key that seals.
func (k *Keyring) Current() string { return k.current }

// Has reports whether the keyring can seal.
func (k *Keyring) Has() bool { return k != nil && k.current != "" }

// Seal seals plaintext for one workspace's source.
func (k *Keyring) Seal(plaintext []byte, workspace, conn string) (sealed, keyID string, err error) {
	if !k.Has() {
		return "", "", ErrNoKey
	}
	aead, err := chacha20poly1305.NewX(k.keys[k.current])
	if err != nil {
		return "", "", err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", "", err
	}
	out := aead.Seal(nonce, nonce, plaintext, aad(workspace, conn))
	return "v1." + k.current + "." + base64.RawURLEncoding.EncodeToString(out), k.current, nil
}

// Open opens a sealed value of one workspace's source.
func (k *Keyring) Open(sealed, workspace, conn string) ([]byte, error) {
	parts := strings.SplitN(sealed, ".", 3)
	if len(parts) != 3 || parts[0] != "v1" {
		return nil, errors.New("not a sealed credential")
	}
	key, ok := k.keys[parts[1]]
	if !ok {
		return nil, fmt.Errorf("the credential is sealed with key %q, which the keyring does not have: add it to WHYBOT_SECRET_KEYS_OLD", parts[1])
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, errors.New("the sealed credential is damaged")
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	if len(raw) < aead.NonceSize() {
		return nil, errors.New("the sealed credential is damaged")
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], aad(workspace, conn))
	if err != nil {
		return nil, errors.New("the sealed credential does not open: it was changed, or belongs to another workspace or source")
	}
	return plain, nil
}

// KeyOf is the name of the key a value is sealed with.
func KeyOf(sealed string) string {
	parts := strings.SplitN(sealed, ".", 3)
	if len(parts) != 3 {
		return ""
	}
	return parts[1]
}

func aad(workspace, conn string) []byte { return []byte("whybot/credential/" + workspace + "/" + conn) }

func keyID(key []byte) string {
	s := sha256.Sum256(key)
	return "k" + hex.EncodeToString(s[:4])
}
