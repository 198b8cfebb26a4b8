package game

import (
	crand "crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// DefaultResumeGrace is how long a disconnected player waits in its room
// for the client to resume the session.
const DefaultResumeGrace = 15 * time.Second

// Errors returned by Room.Resume and Hub.Resume.
var (
	ErrSessionGone    = errors.New("session is over: the player left the room, the grace period passed or the room closed")
	ErrSessionInvalid = errors.New("session token is not the player's current one: already used, or of an earlier room or player")
	ErrNoSessions     = errors.New("this server does not resume sessions")
)

// SessionSecretSize is the size of a member's session secret: 128 random
// bits, which nobody guesses.
const SessionSecretSize = 16

// Session is what a session token holds. Room names and player ids start
// over (a named room is opened again, ids count from 1 in every room), so
// a token also binds the room's incarnation, a random number drawn when
// the room opened, and the member's secret, drawn when the player joined
// and drawn again on every resume. A token of an earlier room of the same
// name, or of an earlier player with the same id, or one already used to
// resume, therefore matches nothing.
type Session struct {
	Room        string
	Incarnation uint64
	Player      uint32
	Secret      [SessionSecretSize]byte
}

// Sessions signs and checks the session tokens with which a player
// resumes on a new connection. The server implements it; the hub owns
// it: its rooms issue a token in every Welcome, and Hub.Resume verifies
// the token a client presents before the room compares what it holds.
//
// A token is worth something exactly as long as its player stays in its
// room with the same secret, so it needs no expiry: a Leave, the end of
// the resume grace, the room's end or a resume (which draws a new
// secret) make it worthless, and a player who stays for hours can still
// resume.
type Sessions interface {
	// Issue returns a signed token that holds s.
	Issue(s Session) string
	// Verify checks a token's signature and returns what it holds. Its
	// error says why a token is refused (forged, malformed); Hub.Resume
	// returns it as is.
	Verify(token string) (Session, error)
}

// newSessionSecret draws a member's secret.
func newSessionSecret() (s [SessionSecretSize]byte) {
	_, _ = crand.Read(s[:]) // never fails (Go 1.24+)
	return s
}

// newIncarnation draws a room's incarnation.
func newIncarnation() uint64 {
	var b [8]byte
	_, _ = crand.Read(b[:]) // never fails (Go 1.24+)
	return binary.LittleEndian.Uint64(b[:])
}

// Disconnect tells the room that the connection of a player dropped
// without a Leave. The player stays in the world, silent, for the room's
// ResumeGrace; others see no change. A peer that no longer owns the player
// (it was resumed elsewhere) is ignored.
func (r *Room) Disconnect(id uint32, peer Peer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.byID[id]
	if !ok || m.owner != peer {
		return
	}
	if m.spectator {
		r.removeLocked(m) // nothing to keep for a spectator
		return
	}
	m.owner = nil
	r.pushLocked(command{kind: cmdAway, m: m})
}

// Resume gives the player of session s back to a new connection. Only a
// session of this incarnation of the room, with the player's current
// secret, resumes it (else ErrSessionInvalid; ErrSessionGone when the
// player left or the room closed); the player gets a new secret, which
// the next Welcome carries in a new token.
//
// From the moment Resume returns, peer owns the player: the old
// connection's inputs and leave are refused, and at the next tick it is
// dropped (DropTakenOver) if it is still attached.
func (r *Room) Resume(s Session, peer Peer) error {
	fresh := newSessionSecret()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return fmt.Errorf("%w: %w", ErrSessionGone, ErrRoomClosed)
	}
	if s.Room != r.cfg.ID || s.Incarnation != r.incarnation {
		return ErrSessionInvalid
	}
	m, ok := r.byID[s.Player]
	if !ok || m.spectator {
		return ErrSessionGone
	}
	if subtle.ConstantTimeCompare(m.secret[:], s.Secret[:]) != 1 {
		return ErrSessionInvalid
	}
	m.secret = fresh
	m.owner = peer
	m.rtt = 0 // not measured on the new connection yet
	r.pushLocked(command{kind: cmdResume, m: m, peer: peer})
	return nil
}

// SetRTT records the round trip the server measured on the connection of
// player id (the server calls it every few seconds from its WebSocket
// ping and pong). It caps how far back the player's inputs are judged
// (lag compensation): at most ceil(rtt/period)+1 ticks. Until the first
// measurement, and after a resume until the next one, only the mode's own
// cap applies. Unknown ids and spectators are ignored.
func (r *Room) SetRTT(id uint32, rtt time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.byID[id]; ok && !m.spectator {
		m.rtt = rtt
	}
}

// expireAway removes players whose grace period has passed.
func (r *Room) expireAway() {
	grace := uint32(r.cfg.ResumeGrace / r.period)
	for _, m := range r.members {
		if m.peer == nil && m.awayTick != 0 && r.tick-m.awayTick >= grace {
			r.mu.Lock()
			if r.byID[m.id] == m && m.owner == nil {
				r.removeLocked(m)
			}
			r.mu.Unlock()
		}
	}
}

// Resume gives the player that token names back to a new connection (see
// Room.Resume) and returns its room and id. It fails with ErrNoSessions
// when the hub has no Sessions, and with Sessions.Verify's error for a
// token that does not verify.
func (h *Hub) Resume(peer Peer, token string) (*Room, uint32, error) {
	if h.cfg.Sessions == nil {
		return nil, 0, ErrNoSessions
	}
	s, err := h.cfg.Sessions.Verify(token)
	if err != nil {
		return nil, 0, err
	}
	h.mu.Lock()
	r, ok := h.rooms[s.Room]
	h.mu.Unlock()
	if !ok {
		return nil, 0, ErrSessionGone
	}
	if err := r.Resume(s, peer); err != nil {
		return nil, 0, err
	}
	return r, s.Player, nil
}
