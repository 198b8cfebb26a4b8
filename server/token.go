package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// DefaultTokenTTL bounds how long a session token is worth anything at
// all; the room's resume grace (counted from the disconnect) is the tighter
// limit in practice.
const DefaultTokenTTL = time.Hour

// Errors of Sessions.Verify.
var (
	ErrTokenInvalid = errors.New("session token is not valid")
	ErrTokenExpired = errors.New("session token expired")
)

// Sessions signs and checks session tokens with HMAC-SHA256. A token
// names a room, a player and a generation, and expires; it is
//
//	base64url(expiry_unix u64 | player u32 | gen u32 | room) "." base64url(mac)
//
// It implements game.Sessions: give it to the hub (HubConfig.Sessions),
// which issues and checks every token.
type Sessions struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// NewSessions returns token keys from secret; an empty secret picks a
// random one (tokens then do not survive a restart, which is fine: rooms
// do not either). ttl 0 means DefaultTokenTTL.
func NewSessions(secret []byte, ttl time.Duration) (*Sessions, error) {
	if len(secret) == 0 {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("session secret: %w", err)
		}
	}
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	return &Sessions{key: secret, ttl: ttl, now: time.Now}, nil
}

// Issue signs a token for player of room at generation gen.
func (s *Sessions) Issue(room string, player, gen uint32) string {
	payload := make([]byte, 16, 16+len(room))
	binary.BigEndian.PutUint64(payload, uint64(s.now().Add(s.ttl).Unix()))
	binary.BigEndian.PutUint32(payload[8:], player)
	binary.BigEndian.PutUint32(payload[12:], gen)
	payload = append(payload, room...)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(s.mac(payload))
}

// Verify checks a token's signature and expiry and returns what it names.
func (s *Sessions) Verify(token string) (room string, player, gen uint32, err error) {
	enc := base64.RawURLEncoding
	var p64, m64 string
	for i := 0; i < len(token); i++ {
		if token[i] == '.' {
			p64, m64 = token[:i], token[i+1:]
			break
		}
	}
	payload, err1 := enc.DecodeString(p64)
	mac, err2 := enc.DecodeString(m64)
	if err1 != nil || err2 != nil || len(payload) < 16 || !hmac.Equal(mac, s.mac(payload)) {
		return "", 0, 0, ErrTokenInvalid
	}
	if expiry := int64(binary.BigEndian.Uint64(payload)); s.now().Unix() > expiry {
		return "", 0, 0, ErrTokenExpired
	}
	return string(payload[16:]), binary.BigEndian.Uint32(payload[8:]), binary.BigEndian.Uint32(payload[12:]), nil
}

func (s *Sessions) mac(payload []byte) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write(payload)
	return h.Sum(nil)
}
