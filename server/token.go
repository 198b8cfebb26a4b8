package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/skirmishgg/skirmish/game"
)

// MinSecretBytes is the shortest session secret NewSessions accepts: an
// HMAC-SHA256 key shorter than the hash gives away strength, and a short
// operator-chosen secret can be guessed offline from one token.
const MinSecretBytes = 32

// Errors of NewSessions and Sessions.Verify.
var (
	ErrShortSecret  = fmt.Errorf("session secret must be at least %d bytes", MinSecretBytes)
	ErrTokenInvalid = errors.New("session token is not valid")
)

// tokenHeader is the fixed part of a token's payload: incarnation u64,
// player u32, secret.
const tokenHeader = 8 + 4 + game.SessionSecretSize

// Sessions signs and checks session tokens with HMAC-SHA256. A token
// holds a game.Session:
//
//	base64url(incarnation u64 | player u32 | secret [16] | room) "." base64url(mac)
//
// It has no expiry: the room decides whether the session it names still
// exists (see game.Sessions). It implements game.Sessions: give it to the
// hub (HubConfig.Sessions), which issues and checks every token.
type Sessions struct {
	key []byte
}

// NewSessions returns token keys from secret, which must be at least
// MinSecretBytes long; an empty secret picks a random one (tokens then
// do not survive a restart, which is fine: rooms do not either). The
// error never contains the secret.
func NewSessions(secret []byte) (*Sessions, error) {
	if len(secret) == 0 {
		secret = make([]byte, MinSecretBytes)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("session secret: %w", err)
		}
	}
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("%w (got %d)", ErrShortSecret, len(secret))
	}
	return &Sessions{key: secret}, nil
}

// Issue signs a token that holds s.
func (s *Sessions) Issue(sess game.Session) string {
	payload := make([]byte, tokenHeader, tokenHeader+len(sess.Room))
	binary.BigEndian.PutUint64(payload, sess.Incarnation)
	binary.BigEndian.PutUint32(payload[8:], sess.Player)
	copy(payload[12:], sess.Secret[:])
	payload = append(payload, sess.Room...)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(s.mac(payload))
}

// Verify checks a token's signature and returns the session it holds.
func (s *Sessions) Verify(token string) (game.Session, error) {
	enc := base64.RawURLEncoding
	p64, m64, _ := strings.Cut(token, ".")
	payload, err1 := enc.DecodeString(p64)
	mac, err2 := enc.DecodeString(m64)
	if err1 != nil || err2 != nil || len(payload) < tokenHeader || !hmac.Equal(mac, s.mac(payload)) {
		return game.Session{}, ErrTokenInvalid
	}
	sess := game.Session{
		Incarnation: binary.BigEndian.Uint64(payload),
		Player:      binary.BigEndian.Uint32(payload[8:]),
		Room:        string(payload[tokenHeader:]),
	}
	copy(sess.Secret[:], payload[12:tokenHeader])
	return sess, nil
}

func (s *Sessions) mac(payload []byte) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write(payload)
	return h.Sum(nil)
}
