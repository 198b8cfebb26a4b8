package game

import (
	"errors"
	"time"
)

// DefaultResumeGrace is how long a disconnected player waits in its room
// for the client to resume the session.
const DefaultResumeGrace = 15 * time.Second

// Errors returned by Room.Resume and Hub.Resume.
var (
	ErrSessionGone     = errors.New("session is over: the player left the room or the grace period passed")
	ErrSessionReplayed = errors.New("session token already used")
	ErrNoSessions      = errors.New("this server does not resume sessions")
)

// Sessions signs and checks the session tokens with which a player
// resumes on a new connection. The server implements it; the hub owns
// it: its rooms issue a token in every Welcome, and Hub.Resume verifies
// the token a client presents. The room decides when a token is issued
// and which generation is current.
type Sessions interface {
	// Issue returns a token that names a player of a room and the
	// generation of the token.
	Issue(room string, player, gen uint32) string
	// Verify checks a token and returns what it names. Its error says why
	// a token is refused (forged, expired); Hub.Resume returns it as is.
	Verify(token string) (room string, player, gen uint32, err error)
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

// Resume gives player id back to a new connection. gen is the generation
// of the token presented: only the newest token of a player resumes it, and
// using it makes the next Welcome carry a new one. If the player's old
// connection is still attached, it is dropped (DropTakenOver).
func (r *Room) Resume(id, gen uint32, peer Peer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrRoomClosed
	}
	m, ok := r.byID[id]
	if !ok || m.spectator {
		return ErrSessionGone
	}
	if m.gen != gen {
		return ErrSessionReplayed
	}
	m.gen++
	m.owner = peer
	r.pushLocked(command{kind: cmdResume, m: m, peer: peer})
	return nil
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
	roomID, player, gen, err := h.cfg.Sessions.Verify(token)
	if err != nil {
		return nil, 0, err
	}
	h.mu.Lock()
	r, ok := h.rooms[roomID]
	h.mu.Unlock()
	if !ok {
		return nil, 0, ErrSessionGone
	}
	if err := r.Resume(player, gen, peer); err != nil {
		return nil, 0, err
	}
	return r, player, nil
}
