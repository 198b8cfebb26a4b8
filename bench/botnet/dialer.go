package botnet

import (
	"time"

	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"

	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/reactor"
)

// dialLoop is one goroutine of the bounded dial pool: it takes the next bot
// index, waits for its turn when a connect rate is set, connects, upgrades
// (blocking, with a deadline) and hands the socket to the reactor.
func (e *engine) dialLoop() {
	defer e.dialWG.Done()
	var enc Encoder
	var pace *time.Timer
	defer func() {
		if pace != nil {
			pace.Stop()
		}
	}()
	for {
		i := int(e.nextDial.Add(1) - 1)
		if i >= e.spec.Count {
			return
		}
		if e.spec.ConnectRate > 0 {
			epoch := e.start
			if e.spec.DialEpoch != 0 {
				epoch = time.Unix(0, e.spec.DialEpoch)
			}
			due := epoch.Add(time.Duration(float64(e.spec.First+i) / e.spec.ConnectRate * float64(time.Second)))
			if wait := time.Until(due); wait > 0 {
				if pace == nil {
					pace = time.NewTimer(wait)
				} else {
					pace.Reset(wait)
				}
				select {
				case <-e.dialStop:
					return
				case <-pace.C:
				}
			}
		}
		select {
		case <-e.dialStop:
			return
		default:
		}
		e.dialOne(i, &enc)
	}
}

func (e *engine) dialOne(i int, enc *Encoder) {
	g := e.spec.First + i
	b := &bot{e: e, g: g, fd: -1}
	if e.spec.TrackEntities || e.spec.Workload == WorkResume {
		b.track = &worldTracker{ids: e.spec.TrackEntities}
	}
	if e.spec.Workload == WorkResume {
		b.res = &resumeInfo{}
	}
	e.connect(i, b, enc, 0)
}

// connect dials, upgrades and registers bot b as local bot i, then sends
// Hello. since, if not 0, is when a resume's reconnection started (the
// connect time then goes to the resume figures).
func (e *engine) connect(i int, b *bot, enc *Encoder, since int64) {
	g := b.g
	t0 := e.now()
	deadline := time.Now().Add(e.spec.DialTimeout)
	rcvbuf := 0
	if IsSlow(g, e.spec.SlowFraction) {
		rcvbuf = e.spec.SlowRcvBuf
	}
	fd, err := reactor.Dial(e.remote, e.spec.sourceOf(g), rcvbuf, deadline)
	if err != nil {
		b.failWith(nil, "connect: "+reactor.ShortErr(err))
		return
	}
	br, _, err := ws.Dialer{}.Upgrade(&reactor.Conn{FD: fd, Deadline: deadline}, e.u)
	if err != nil {
		unix.Close(fd)
		b.failWith(nil, "upgrade: "+reactor.ShortErr(err))
		return
	}
	if br != nil {
		// The server spoke right after the 101: keep those bytes for the
		// reader.
		if extra, perr := br.Peek(br.Buffered()); perr == nil && len(extra) > 0 {
			b.fr.Preload(extra)
			b.inPending = true
		}
		ws.PutReader(br)
	}
	b.fd = fd
	connected := e.now()
	e.withLow(nil, func(s *measure.Stats) {
		if since != 0 {
			s.ResumeConnect.Record((connected - t0) / 1000)
		} else {
			s.Connect.Record((connected - t0) / 1000)
		}
	})
	b.state.Store(int32(stHandshake))
	e.dialed.Add(1)
	e.open.Add(1)
	if err := e.r.Add(fd, b); err != nil {
		unix.Close(fd)
		e.open.Add(-1)
		b.state.Store(int32(stClosed))
		b.failWith(nil, "register: "+reactor.ShortErr(err))
		return
	}
	e.bots[i].Store(b)
	if b.inPending {
		e.r.Wake(b)
	}
	frame, err := enc.Hello()
	if err != nil {
		diag.Logf("bot %d: %v", g, err)
		return
	}
	b.helloAt.Store(e.now())
	e.send(b, frame)
}
