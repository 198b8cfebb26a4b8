package game

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
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
	// Broadcaster delivers snapshots to the members.
	Broadcaster Broadcaster
	// IdleTimeout closes the room once it has been empty this long; zero
	// keeps it open until Close.
	IdleTimeout time.Duration
	// ViewRange turns interest management on: each player receives only
	// the entities within about this many world units (the 3×3 block of
	// grid cells of this side around it). Zero sends everyone everything.
	ViewRange float64
	// Sessions signs the session tokens of Welcome; nil sends none (and
	// players cannot resume).
	Sessions SessionIssuer
	// ResumeGrace is how long a disconnected player stays in the room
	// waiting to resume; DefaultResumeGrace when 0.
	ResumeGrace time.Duration
	// FullSnapshots turns delta snapshots off: every snapshot is full
	// (for comparing bandwidth, and for clients that cannot keep history).
	FullSnapshots bool
	// OnClose is called once, from the room's goroutine, when the loop ends.
	OnClose func(*Room)
	Logger  *slog.Logger
}

// RoomStats are counters of a room, safe to read at any time.
type RoomStats struct {
	Ticks         uint64
	Overruns      uint64 // ticks that ran late, back to back with another
	Skipped       uint64 // ticks dropped because the loop was too far behind
	InputsDropped uint64 // inputs dropped because a player's queue was full
	Players       int
}

// member is one player of the room. The fields under "inbox" are guarded by
// Room.mu (written by the server's goroutines); the rest belong to the loop.
type member struct {
	id        uint32
	name      string
	spectator bool

	// session, under Room.mu: the connection that owns the player now,
	// and the generation of its newest session token (a token of another
	// generation cannot resume).
	owner Peer
	gen   uint32

	// inbox
	queue [MaxQueuedInputs]wire.Input
	n     int

	// loop
	peer     Peer   // where snapshots go; nil while away
	awayTick uint32 // tick of the disconnect, while away
	resumed  bool   // greet with Welcome.resumed at this tick
	// resumeTick is the tick of the last resume: older acks came from the
	// previous connection.
	resumeTick uint32
	lastSeq    uint32
	ackTick    uint32             // newest snapshot tick the client has acknowledged
	cell       cell               // interest-management cell the player is in
	cells      [HistoryTicks]cell // cell at each kept tick, for baselines
	batch      [MaxQueuedInputs]wire.Input
}

type commandKind int

const (
	cmdJoin commandKind = iota
	cmdLeave
	cmdAway   // the player's connection dropped: keep it for the grace period
	cmdResume // the player is back on peer
)

type command struct {
	kind commandKind
	m    *member
	peer Peer // cmdResume: the new connection; cmdResume replaces the old one
}

// Room is one match: a mode, its members and the fixed-tick loop that runs
// them. The server calls Join, Input and Leave from any goroutine; they only
// queue work, which the loop applies at the start of the next tick.
type Room struct {
	cfg    RoomConfig
	mode   Mode
	ids    IDs
	period time.Duration
	log    *slog.Logger

	mu       sync.Mutex
	byID     map[uint32]*member // joined and not left
	commands []command          // bounded: at most one join and one leave per member
	closed   bool
	dropped  uint64

	// Owned by the loop goroutine.
	tick       uint32
	members    []*member // ascending id
	history    history
	grid       grid
	views      viewCache
	audience   []audience
	receivers  []Receiver
	enc        wire.SnapshotEncoder
	msg        []byte
	emptySince time.Time
	countBuf   []int
	public     bool // listed for quick-match; set before Run

	ticks, overruns, skipped atomic.Uint64
	players                  atomic.Int32
	lastTick                 atomic.Uint32
	started                  atomic.Bool // Run was called
	failed                   atomic.Bool // the loop ended on a panic

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
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
		cfg:    cfg,
		period: time.Second / time.Duration(cfg.TickRate),
		byID:   make(map[uint32]*member),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	r.log = cfg.Logger.With("room", cfg.ID)
	r.enc.TickRate = cfg.TickRate
	r.mode = cfg.Mode(ModeConfig{Seed: cfg.Seed, IDs: &r.ids})
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

// Stats returns the room's counters.
func (r *Room) Stats() RoomStats {
	r.mu.Lock()
	dropped := r.dropped
	r.mu.Unlock()
	return RoomStats{
		Ticks:         r.ticks.Load(),
		Overruns:      r.overruns.Load(),
		Skipped:       r.skipped.Load(),
		InputsDropped: dropped,
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

// MaxSpectators bounds the spectators of one room.
const MaxSpectators = 64

func (r *Room) join(peer Peer, name string, spectator bool) (uint32, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, ErrRoomClosed
	}
	players := int(r.players.Load())
	if !spectator && players >= r.cfg.Capacity || spectator && len(r.byID)-players >= MaxSpectators {
		return 0, ErrRoomFull
	}
	m := &member{id: r.ids.Next(), name: name, spectator: spectator, owner: peer, peer: peer}
	r.byID[m.id] = m
	r.commands = append(r.commands, command{kind: cmdJoin, m: m})
	if !spectator {
		r.players.Add(1)
	}
	return m.id, nil
}

// Leave removes a player; unknown ids are ignored.
func (r *Room) Leave(id uint32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.byID[id]
	if !ok {
		return
	}
	r.removeLocked(m)
}

// removeLocked forgets a member; r.mu must be held.
func (r *Room) removeLocked(m *member) {
	delete(r.byID, m.id)
	r.commands = append(r.commands, command{kind: cmdLeave, m: m})
	if !m.spectator {
		r.players.Add(-1)
	}
}

// Input queues one input of a player for the next tick. It reports false
// when the player is not in the room.
func (r *Room) Input(id uint32, in wire.Input) bool {
	in.DX = ClampAxis(in.DX)
	in.DY = ClampAxis(in.DY)
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.byID[id]
	if !ok || m.spectator {
		return false
	}
	if m.n == len(m.queue) {
		// Keep the newest: drop the oldest.
		copy(m.queue[:], m.queue[1:])
		m.n--
		r.dropped++
	}
	m.queue[m.n] = in
	m.n++
	return true
}

// Run runs the room's loop until Close is called or the room stays empty
// for its IdleTimeout. It must be called at most once.
func (r *Room) Run() {
	r.started.Store(true)
	defer close(r.done)
	defer func() {
		if r.cfg.OnClose != nil {
			r.cfg.OnClose(r)
		}
	}()
	s := schedule{start: time.Now(), period: r.period, maxCatchUp: DefaultMaxCatchUp}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-timer.C:
		}
		now := time.Now()
		run, skipped := s.due(now)
		if run > 1 {
			r.overruns.Add(uint64(run - 1))
		}
		if skipped > 0 {
			r.skipped.Add(uint64(skipped))
		}
		for range run {
			if err := r.safeStep(); err != nil {
				r.fail(err)
				return
			}
		}
		if r.idle(now) {
			return
		}
		timer.Reset(time.Until(s.wakeAt()))
	}
}

// idle closes the room for new joins and reports true once it has been
// empty for its IdleTimeout.
func (r *Room) idle(now time.Time) bool {
	if r.cfg.IdleTimeout <= 0 {
		return false
	}
	if len(r.members) > 0 {
		r.emptySince = time.Time{}
		return false
	}
	if r.emptySince.IsZero() {
		r.emptySince = now
		return false
	}
	if now.Sub(r.emptySince) < r.cfg.IdleTimeout {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.byID) > 0 || len(r.commands) > 0 {
		return false // someone is about to join
	}
	r.closed = true
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

// Step runs one tick: apply queued joins, leaves and inputs, advance the
// world, and broadcast the snapshot.
func (r *Room) Step() {
	r.tick++
	r.ticks.Add(1)
	r.lastTick.Store(r.tick)
	r.applyCommands()
	r.applyInputs()
	r.mode.Step(r.period.Seconds())
	r.broadcast()
}

// safeStep runs Step and turns a panic inside it (a bug in a mode, say)
// into an error, so that one broken room never takes the server down.
func (r *Room) safeStep() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("room %s panicked at tick %d: %v\n%s", r.cfg.ID, r.tick, p, debug.Stack())
		}
	}()
	r.Step()
	return nil
}

// fail ends a room after a panic: it refuses new players and drops every
// member's connection with the reason.
func (r *Room) fail(err error) {
	r.failed.Store(true)
	r.log.Error("room failed", "err", err)
	r.mu.Lock()
	r.closed = true
	peers := make([]Peer, 0, len(r.byID))
	for _, m := range r.byID {
		if m.owner != nil {
			peers = append(peers, m.owner)
		}
	}
	r.mu.Unlock()
	for _, p := range peers {
		p.Drop(DropRoomFailed)
	}
}

// Failed reports whether the room ended on a panic.
func (r *Room) Failed() bool { return r.failed.Load() }

// Tick is the number of the last tick run. It is safe to call from any
// goroutine.
func (r *Room) Tick() uint32 { return r.lastTick.Load() }

func (r *Room) applyCommands() {
	r.mu.Lock()
	cmds := r.commands
	r.commands = nil
	r.mu.Unlock()
	r.expireAway()
	if len(cmds) == 0 {
		return
	}
	var welcome []*member // to greet after all commands, with the final roster
	rosterChanged := false
	for _, c := range cmds {
		switch c.kind {
		case cmdJoin:
			if !c.m.spectator {
				r.mode.AddPlayer(c.m.id, c.m.name)
				rosterChanged = true
			}
			i, _ := slices.BinarySearchFunc(r.members, c.m.id, func(m *member, id uint32) int { return int(m.id) - int(id) })
			r.members = slices.Insert(r.members, i, c.m)
			welcome = append(welcome, c.m)
		case cmdLeave:
			if !c.m.spectator {
				r.mode.RemovePlayer(c.m.id)
				rosterChanged = true
			}
			r.members = slices.DeleteFunc(r.members, func(m *member) bool { return m == c.m })
			welcome = slices.DeleteFunc(welcome, func(m *member) bool { return m == c.m })
		case cmdAway:
			c.m.peer, c.m.awayTick = nil, r.tick
			// The player stands still while away: replace its last controls
			// (an input with the same seq replaces, a lower one is ignored).
			r.mode.ApplyInput(c.m.id, wire.Input{Seq: c.m.lastSeq})
			welcome = slices.DeleteFunc(welcome, func(m *member) bool { return m == c.m })
		case cmdResume:
			if old := c.m.peer; old != nil && old != c.peer {
				old.Drop(DropTakenOver)
			}
			c.m.peer, c.m.awayTick = c.peer, 0
			c.m.ackTick = 0 // the new connection has no baseline
			c.m.resumeTick = r.tick
			c.m.resumed = true
			welcome = append(welcome, c.m)
		}
	}
	roster := r.roster()
	for _, m := range welcome {
		if m.peer != nil && slices.Contains(r.members, m) {
			m.peer.Send(r.welcome(m))
			if !rosterChanged {
				m.peer.Send(roster)
			}
		}
		m.resumed = false
	}
	if rosterChanged {
		for _, m := range r.members {
			if m.peer != nil {
				m.peer.Send(roster)
			}
		}
	}
}

func (r *Room) welcome(m *member) []byte {
	w, h := r.mode.WorldSize()
	wm := &skirmishv1.Welcome{
		PlayerId:      m.id,
		Room:          r.cfg.ID,
		Mode:          r.mode.Name(),
		TickRate:      uint32(r.cfg.TickRate),
		Tick:          r.tick,
		WorldWidth:    uint32(w),
		WorldHeight:   uint32(h),
		PositionScale: wire.PositionScale,
		Spectator:     m.spectator,
		Capacity:      uint32(r.cfg.Capacity),
		Resumed:       m.resumed,
		InputSeq:      m.lastSeq,
	}
	if m.spectator {
		wm.PlayerId = 0
	} else if r.cfg.Sessions != nil {
		r.mu.Lock()
		gen := m.gen
		r.mu.Unlock()
		wm.SessionToken = r.cfg.Sessions.Issue(r.cfg.ID, m.id, gen)
		wm.ResumeGraceMs = uint32(r.cfg.ResumeGrace.Milliseconds())
	}
	msg, err := proto.Marshal(&skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Welcome{Welcome: wm}})
	if err != nil {
		panic(fmt.Sprintf("marshal welcome: %v", err)) // cannot fail for this message
	}
	return msg
}

func (r *Room) roster() []byte {
	ro := &skirmishv1.Roster{Players: make([]*skirmishv1.RosterEntry, 0, len(r.members))}
	for _, m := range r.members {
		if !m.spectator {
			ro.Players = append(ro.Players, &skirmishv1.RosterEntry{Id: m.id, Name: m.name})
		}
	}
	msg, err := proto.Marshal(&skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Roster{Roster: ro}})
	if err != nil {
		panic(fmt.Sprintf("marshal roster: %v", err))
	}
	return msg
}

// applyInputs moves every member's queued inputs into the loop under one
// lock, then hands them to the mode without holding it.
func (r *Room) applyInputs() {
	r.mu.Lock()
	counts := r.counts()
	for i, m := range r.members {
		counts[i] = copy(m.batch[:], m.queue[:m.n])
		m.n = 0
	}
	r.mu.Unlock()
	for i, m := range r.members {
		for _, in := range m.batch[:counts[i]] {
			r.mode.ApplyInput(m.id, in)
			if in.Seq > m.lastSeq {
				m.lastSeq = in.Seq
			}
			// A client can only acknowledge ticks already sent to it, and
			// after a resume only ticks sent to the new connection: inputs
			// still queued from the old one name baselines it never had.
			if in.AckTick > m.ackTick && in.AckTick < r.tick && in.AckTick >= m.resumeTick {
				m.ackTick = in.AckTick
			}
		}
	}
}

// counts returns a reused slice of len(r.members).
func (r *Room) counts() []int {
	if cap(r.countBuf) < len(r.members) {
		r.countBuf = make([]int, len(r.members), 2*len(r.members))
	}
	return r.countBuf[:len(r.members)]
}

// broadcast records this tick's world in the history and sends every
// member a snapshot: a delta against the newest tick the member has
// acknowledged while that tick is still in the history, a full snapshot
// otherwise. With interest management each member sees only the cells
// around its own, so members are grouped by (baseline, cell then, cell
// now); without it every member is in the one cell {0, 0}. Each group gets
// one encoding.
func (r *Room) broadcast() {
	world := r.history.record(r.tick, r.mode)
	if len(r.members) == 0 || r.cfg.Broadcaster == nil {
		return
	}
	var cells []cell
	if r.grid.on() {
		cells = r.history.recordCells(r.tick, r.grid, world)
	}
	r.views.reset()
	r.audience = r.audience[:0]
	for _, m := range r.members {
		if m.peer == nil {
			continue // away
		}
		if r.grid.on() {
			if i, ok := slices.BinarySearchFunc(world, m.id, func(e wire.Entity, id uint32) int { return int(e.ID) - int(id) }); ok {
				m.cell = cells[i]
			}
			m.cells[r.tick%HistoryTicks] = m.cell
		}
		a := audience{cell: m.cell, m: m}
		if !r.cfg.FullSnapshots {
			if base := r.history.baseline(m.ackTick, r.tick); base != 0 {
				a.base, a.baseCell = base, m.cells[base%HistoryTicks]
			}
		}
		r.audience = append(r.audience, a)
	}
	slices.SortFunc(r.audience, compareAudience)
	for start := 0; start < len(r.audience); {
		a := r.audience[start]
		end := start + 1
		for end < len(r.audience) && compareAudience(r.audience[end], a) == 0 {
			end++
		}
		r.receivers = r.receivers[:0]
		for _, b := range r.audience[start:end] {
			r.receivers = append(r.receivers, Receiver{Peer: b.m.peer, InputAck: b.m.lastSeq})
		}
		cur := r.view(r.tick, a.cell, world, cells)
		var old []wire.Entity
		if a.base != 0 {
			old = r.view(a.base, a.baseCell, r.history.world(a.base), r.history.cellsOf(a.base))
		}
		r.msg = r.enc.Encode(r.msg[:0], r.tick, a.base, old, cur)
		r.cfg.Broadcaster.Broadcast(r.msg, r.receivers)
		start = end
	}
}

// view is the part of tick's world seen from cell: all of it without
// interest management.
func (r *Room) view(tick uint32, from cell, world []wire.Entity, cells []cell) []wire.Entity {
	if !r.grid.on() {
		return world
	}
	return r.views.get(viewKey{tick, from}, world, cells)
}

// NewSeed returns a random seed for a room.
func NewSeed() uint64 { return rand.Uint64() }
