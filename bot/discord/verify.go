package discord

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// MaxSkew is how far a request's timestamp may be from now. Discord's library does not
// check freshness; without it a captured request could be replayed forever.
const MaxSkew = 5 * time.Minute

// Verify checks an interaction request: the Ed25519 signature (X-Signature-Ed25519) over
// the timestamp (X-Signature-Timestamp) followed by the raw body, made with the
// application's key, and a timestamp at most MaxSkew from now.
func Verify(h http.Header, body []byte, key ed25519.PublicKey, now time.Time) error {
	sigHex, ts := h.Get("X-Signature-Ed25519"), h.Get("X-Signature-Timestamp")
	if sigHex == "" || ts == "" {
		return errors.New("missing signature headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q is not a number", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return fmt.Errorf("timestamp is %s off", d.Round(time.Second))
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return errors.New("signature is not hex Ed25519")
	}
	msg := make([]byte, 0, len(ts)+len(body))
	msg = append(append(msg, ts...), body...)
	if !ed25519.Verify(key, msg, sig) {
		return errors.New("signature does not match")
	}
	return nil
}

// Sign signs a request the way Discord does (tests and tools).
func Sign(key ed25519.PrivateKey, ts string, body []byte) string {
	return hex.EncodeToString(ed25519.Sign(key, append([]byte(ts), body...)))
}

// ParseKey decodes a hex public key.
func ParseKey(s string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("not a hex Ed25519 public key")
	}
	return ed25519.PublicKey(b), nil
}
