// Package game holds the rooms of a Skirmish server: the Hub that places
// players in rooms, the Room and its fixed-tick loop, the Mode interface
// that game rules implement, and the snapshot history and interest
// management behind the broadcast. It knows nothing about sockets: the
// server reaches a player through a Peer, and a room reads its members'
// messages and sends its snapshots through its Link.
package game

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/skirmishgg/skirmish/proto/wire"
)

// Room limits and defaults.
const (
	DefaultTickRate = 30
	MaxTickRate     = 120
	DefaultCapacity = 16
	// MaxQueuedInputs bounds each player's input queue between two ticks.
	// A client sends about one input per tick; a burst after a network
	// stall beyond this drops the oldest inputs, which the newest supersede.
	MaxQueuedInputs = 16
	// MaxSpectators bounds the spectators of one room. Each sees the whole
	// world, also with interest management, so this bounds the bytes a room
	// sends beyond its players' views.
	MaxSpectators = 64
)

// Errors returned by Room.Join.
var (
	ErrRoomFull   = errors.New("room is full")
	ErrRoomClosed = errors.New("room is closed")
)

// RoomConfig describes a room. Zero values pick the defaults.
type RoomConfig struct {
	ID       string
	Mode     NewModeFunc
	TickRate int // ticks per second; DefaultTickRate when 0
	Capacity int // players; DefaultCapacity when 0
	Seed     uint64
	// Link reads the members' messages at each tick and delivers the
	// snapshots; nil for a room stepped without connections (tests).
	Link Link
	// IdleTimeout closes the room once it has been empty this long; zero
	// keeps it open until Close. An empty room does not tick either way.
	IdleTimeout time.Duration
	// ViewRange turns interest management on: each player receives only
	// the entities within about this many world units (the 3×3 block of
	// grid cells of this side around it). Spectators, who have no entity,
	// receive the whole world: at most MaxSpectators of them, sharing one
	// encoding per baseline. Zero sends everyone everything.
	ViewRange float64
	// Sessions signs the session tokens of Welcome; nil sends none (and
	// players cannot resume).
	Sessions Sessions
	// ResumeGrace is how long a disconnected player stays in the room
	// waiting to resume; DefaultResumeGrace when 0.
	ResumeGrace time.Duration
	// FullSnapshots turns delta snapshots off: every snapshot is full
	// (for comparing bandwidth, and for clients that cannot keep history).
	FullSnapshots bool
	// OnClose is called once, from the room's goroutine, when the loop
	// ends; after a panic, before the members are dropped.
	OnClose func(*Room)
	// Observer hears what each tick did; nil for none.
	Observer TickObserver
	Logger   *slog.Logger
}

// RoomStats are counters of a room, safe to read at any time.
type RoomStats struct {
	Ticks         uint64
	Overruns      uint64 // ticks that ran late, back to back with another
	Skipped       uint64 // ticks dropped because the loop was too far behind
	InputsDropped uint64 // inputs dropped because a player's queue was full
	Players       int
}

// Room is one match: a mode, its members and the fixed-tick loop that runs
// them. Its lifecycle and who owns what:
//
//   - NewRoom creates it. Run runs the loop in a goroutine of its own (the
//     hub starts it); tests drive a room tick by tick with Step instead.
//   - The server's goroutines call Join, JoinSpectator, Input, Leave,
//     Disconnect and Resume at any time. These only record work under mu
//     (the fields under mu, and each member's inbox and session): they
//     never touch the world.
//   - Each tick the loop takes that work under mu and applies it (joins,
//     leaves and resumes, then inputs), advances the mode and broadcasts
//     the snapshots. The mode and the fields marked "loop" belong to the
//     loop goroutine alone and need no lock.
//   - A room without members does not tick: its loop sleeps until a join
//     wakes it, and starts its schedule afresh then (the ticks it slept
//     through are not run, and not counted as skipped).
//   - The loop ends on Close, after IdleTimeout of emptiness, or on a panic
//     inside a tick, which marks the room failed. Then OnClose runs, the
//     members of a failed room are dropped (DropRoomFailed), and Done is
//     closed. A closed room refuses joins and resumes.
//
// The counters are atomic and safe to read from any goroutine.
type Room struct {
	cfg    RoomConfig
	mode   Mode
	ids    IDs
	period time.Duration
	log    *slog.Logger
	// incarnation tells this room from earlier ones of the same name in
	// session tokens.
	incarnation uint64

	mu       sync.Mutex
	byID     map[uint32]*member // joined and not left
	commands []command          // bounded: at most one join and one leave per member
	closed   bool
	// asleep: the room is empty and its loop waits on wake instead of
	// ticking; the next command wakes it.
	asleep bool

	// loop
	tick      uint32
	members   []*member // ascending id
	history   history
	grid      grid
	views     viewCache
	audience  []audience
	receivers []Receiver
	enc       wire.SnapshotEncoder
	msg       []byte
	countBuf  []int
	report    TickReport
	public    bool   // listed for quick-match; set before Run
	owner     string // JoinRequest.Owner of the join that opened it; set before Run

	ticks, overruns, skipped atomic.Uint64
	inputsDropped            atomic.Uint64
	players                  atomic.Int32
	lastTick                 atomic.Uint32
	started                  atomic.Bool // Run was called
	failed                   atomic.Bool // the loop ended on a panic
	// busySince is when the loop's current turn of ticks began (monoNow),
	// 0 while it waits: see Busy.
	busySince atomic.Int64

	stop      chan struct{}
	wake      chan struct{} // one token per sleep, sent by pushLocked
	done      chan struct{}
	closeOnce sync.Once
}

// member is one player of the room. The fields under "inbox" and
// "session" are guarded by Room.mu (written by the server's goroutines);
// the rest belong to the loop.
type member struct {
	id        uint32
	name      string
	spectator bool

	// session: the connection that owns the player now (only its inputs
	// and leave count), the secret of its newest session token, and the
	// round trip the server measured on that connection (0: not yet).
	owner  Peer
	secret [SessionSecretSize]byte
	rtt    time.Duration

	// inbox
	queue [MaxQueuedInputs]wire.Input
	n     int

	// loop
	peer     Peer   // where snapshots go; nil while away
	awayTick uint32 // tick of the disconnect, while away
	resumed  bool   // greet with Welcome.resumed at this tick
	// greetedAt is the tick of the last Welcome and full Roster: that
	// tick's RosterUpdate is not for it.
	greetedAt uint32
	// since is the first tick of the current connection (the join or the
	// last resume): older acks name ticks it never received.
	since   uint32
	lastSeq uint32
	ackTick uint32 // newest snapshot tick the client has acknowledged
	// maxLag is how many ticks back the measured round trip lets the
	// player's shots be judged; 0 while unmeasured (no cap here).
	maxLag uint32
	cell   cell               // interest-management cell the player is in
	cells  [historyTicks]cell // cell at each kept tick, for baselines
	batch  [MaxQueuedInputs]wire.Input
}

// NewRoom creates a room. Call Run (usually in its own goroutine) to start
// its loop, or Step to drive it by hand in tests.
func NewRoom(cfg RoomConfig) *Room {
	if cfg.TickRate <= 0 {
		cfg.TickRate = DefaultTickRate
	}
	cfg.TickRate = min(cfg.TickRate, MaxTickRate)
	if cfg.Capacity <= 0 {
		cfg.Capacity = DefaultCapacity
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ResumeGrace <= 0 {
		cfg.ResumeGrace = DefaultResumeGrace
	}
	r := &Room{
		cfg:         cfg,
		period:      time.Second / time.Duration(cfg.TickRate),
		incarnation: newIncarnation(),
		byID:        make(map[uint32]*member),
		stop:        make(chan struct{}),
		wake:        make(chan struct{}, 1),
		done:        make(chan struct{}),
	}
	r.enc.TickRate = cfg.TickRate
	r.mode = cfg.Mode(ModeConfig{Seed: cfg.Seed, IDs: &r.ids})
	r.log = cfg.Logger.With("room", cfg.ID, "mode", r.mode.Name())
	w, h := r.mode.WorldSize()
	r.grid = newGrid(cfg.ViewRange, w, h)
	return r
}

// ID is the room's id.
func (r *Room) ID() string { return r.cfg.ID }

// ModeName is the name of the room's game mode.
func (r *Room) ModeName() string { return r.mode.Name() }

// TickRate is the room's ticks per second.
func (r *Room) TickRate() int { return r.cfg.TickRate }

// Capacity is the most players the room holds.
func (r *Room) Capacity() int { return r.cfg.Capacity }

// Tick is the number of the last tick run. It is safe to call from any
// goroutine.
func (r *Room) Tick() uint32 { return r.lastTick.Load() }

// Failed reports whether the room ended on a panic.
func (r *Room) Failed() bool { return r.failed.Load() }

// Stats returns the room's counters. It reads atomics only and never
// takes the room's lock, so polling every room's stats cannot stall a
// room's loop.
func (r *Room) Stats() RoomStats {
	return RoomStats{
		Ticks:         r.ticks.Load(),
		Overruns:      r.overruns.Load(),
		Skipped:       r.skipped.Load(),
		InputsDropped: r.inputsDropped.Load(),
		Players:       int(r.players.Load()),
	}
}

// Join adds a player whose messages go to peer. The player appears in the
// world, and receives Welcome, at the next tick. It returns the player's
// entity id.
func (r *Room) Join(peer Peer, name string) (uint32, error) {
	return r.join(peer, name, false)
}

// JoinSpectator adds a spectator: it receives Welcome and snapshots, has no
// entity and cannot send inputs. Spectators do not count towards the
// capacity; at most MaxSpectators watch a room.
func (r *Room) JoinSpectator(peer Peer) (uint32, error) {
	return r.join(peer, "", true)
}

func (r *Room) join(peer Peer, name string, spectator bool) (uint32, error) {
	var secret [SessionSecretSize]byte
	if !spectator && r.cfg.Sessions != nil {
		secret = newSessionSecret()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, ErrRoomClosed
	}
	players := int(r.players.Load())
	if !spectator && players >= r.cfg.Capacity || spectator && len(r.byID)-players >= MaxSpectators {
		return 0, ErrRoomFull
	}
	m := &member{id: r.ids.Next(), name: name, spectator: spectator, owner: peer, peer: peer, secret: secret}
	r.byID[m.id] = m
	r.pushLocked(command{kind: cmdJoin, m: m})
	if !spectator {
		r.players.Add(1)
	}
	return m.id, nil
}

// Leave removes a player at the request of its connection, peer. Unknown
// ids, and peers that no longer own the player (it was resumed
// elsewhere), are ignored.
func (r *Room) Leave(id uint32, peer Peer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.byID[id]
	if !ok || peer == nil || m.owner != peer {
		return
	}
	r.removeLocked(m)
}

// pushLocked queues a command for the next tick and wakes a sleeping
// loop; r.mu must be held.
func (r *Room) pushLocked(c command) {
	r.commands = append(r.commands, c)
	if r.asleep {
		r.asleep = false
		r.wake <- struct{}{} // never blocks: one token per sleep
	}
}

// removeLocked forgets a member; r.mu must be held.
func (r *Room) removeLocked(m *member) {
	delete(r.byID, m.id)
	r.pushLocked(command{kind: cmdLeave, m: m})
	if !m.spectator {
		r.players.Add(-1)
	}
}

// Input queues one input of a player, sent on its connection peer, for
// the next tick. It reports false when the player is not in the room, or
// peer no longer owns it (it was resumed on another connection).
func (r *Room) Input(id uint32, peer Peer, in wire.Input) bool {
	in.DX = ClampAxis(in.DX)
	in.DY = ClampAxis(in.DY)
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.byID[id]
	if !ok || m.spectator || peer == nil || m.owner != peer {
		return false
	}
	if m.n == len(m.queue) {
		// Keep the newest: drop the oldest.
		copy(m.queue[:], m.queue[1:])
		m.n--
		r.inputsDropped.Add(1)
	}
	m.queue[m.n] = in
	m.n++
	return true
}

// Close stops the loop and waits for it to end. The room refuses joins
// afterwards.
func (r *Room) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.closeOnce.Do(func() { close(r.stop) })
	if r.started.Load() {
		<-r.done
	}
}

// Done is closed when the loop has ended.
func (r *Room) Done() <-chan struct{} { return r.done }

// Link is the room's link to its members' connections (nil without one).
func (r *Room) Link() Link { return r.cfg.Link }
