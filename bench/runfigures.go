package bench

import (
	"time"

	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/measure"
)

// clientFigures adds what the bots measured.
func clientFigures(f *Figures, r *botnet.RunResult, joins bool) {
	s := r.Stats
	win := time.Duration(s.WindowNanos)
	f.Set("clients_connected", s.Connected)
	if joins {
		f.Set("clients_joined", s.Joined)
	}
	f.Set("clients_failed", s.Failed)
	f.Set("clients_measured", s.Clients)
	f.Set("processes", int64(r.Processes))
	if r.ConnectTime > 0 {
		f.Set("connect_phase_s", measure.Round3(r.ConnectTime.Seconds()))
	}
	f.Set("window_s", measure.Round3(win.Seconds()))
	f.Set("connect_p50_ms", measure.Ms(s.Connect.Quantile(0.5)))
	f.Set("connect_p99_ms", measure.Ms(s.Connect.Quantile(0.99)))
	f.Set("handshake_p50_ms", measure.Ms(s.Handshake.Quantile(0.5)))
	f.Set("handshake_p99_ms", measure.Ms(s.Handshake.Quantile(0.99)))
	if joins {
		f.Set("join_p50_ms", measure.Ms(s.Join.Quantile(0.5)))
		f.Set("join_p99_ms", measure.Ms(s.Join.Quantile(0.99)))
		f.Set("snapshots_per_client_s", measure.Round3(measure.PerClientSecond(float64(s.Snapshots), s.Clients, win)))
		f.Set("gap_p50_ms", measure.Ms(s.Gap.Quantile(0.5)))
		f.Set("gap_p99_ms", measure.Ms(s.Gap.Quantile(0.99)))
		f.Set("gap_max_ms", measure.Ms(s.Gap.Max()))
		f.Set("rtt_p50_ms", measure.Ms(s.RTT.Quantile(0.5)))
		f.Set("rtt_p99_ms", measure.Ms(s.RTT.Quantile(0.99)))
		f.Set("snapshot_bytes_mean", measure.Round3(s.SnapshotSize.Mean()))
		if s.Snapshots > 0 {
			f.Set("full_snapshot_fraction", measure.Round3(float64(s.SnapshotsFull)/float64(s.Snapshots)))
		}
		entityFigures(f, s)
	}
	f.Set("payload_bytes_per_client_s", measure.Round3(measure.PerClientSecond(float64(s.RecvPayload), s.Clients, win)))
	f.Set("wire_bytes_per_client_s", measure.Round3(measure.PerClientSecond(float64(s.RecvWire), s.Clients, win)))
	f.Set("sent_bytes_per_client_s", measure.Round3(measure.PerClientSecond(float64(s.SentWire), s.Clients, win)))
	if joins {
		f.Set("inputs_sent", s.InputsSent)
		f.Set("inputs_dropped", s.InputsDropped)
		f.Set("inputs_skipped", s.InputsSkipped)
		f.Set("acks_lost", s.AcksLost)
		f.Set("tick_rate", int64(s.TickRate))
	}
	if r.Bots.RSS > 0 {
		f.Set("bots_cpu_core_fraction", measure.Round3(measure.CoreFraction(r.Bots.CPU, win)))
		f.Set("bots_rss_bytes", r.Bots.RSS)
	}
	f.Set("disconnects", s.Disconnects)
	f.Set("protocol_errors", s.ProtocolErrors)
	f.Set("close_codes", measure.CountsString(s.CloseCodes))
	f.Set("error_codes", measure.CountsString(s.ErrorCodes))
	f.Set("fail_reasons", measure.CountsString(s.FailReasons))
}

// serverFigures adds the server process's side. clients is the number of
// connections it served (for per-connection and per-client figures).
func serverFigures(f *Figures, r *botnet.RunResult, clients int64, ticks bool) {
	sv := r.Server
	win := time.Duration(r.Stats.WindowNanos)
	if sv.Measured {
		if ticks {
			f.Set("server_cpu_us_per_client_tick", measure.Round3(measure.CPUPerClientTick(sv.CPU, clients, win, float64(r.Stats.TickRate))))
		} else {
			f.Set("server_cpu_us_per_client_s", measure.Round3(measure.PerClientSecond(float64(sv.CPU.Microseconds()), clients, win)))
		}
		f.Set("server_cpu_core_fraction", measure.Round3(measure.CoreFraction(sv.CPU, win)))
		f.Set("server_rss_before_bytes", sv.RSSBefore)
		f.Set("server_rss_bytes", sv.RSSAfter)
		f.Set("server_rss_per_conn_bytes", measure.Round3(measure.PerConn(sv.RSSBefore, sv.RSSAfter, clients)))
	}
	if sv.Measured && r.Bots.RSS > 0 && r.Machine.Busy > 0 {
		f.Set("machine_other_cpu_cores", measure.Round3(measure.OtherCores(r.Machine, sv.CPU+r.Bots.CPU, win)))
	}
	if sv.HasDebug {
		f.Set("server_goroutines_before", sv.GoroutinesPre)
		f.Set("server_goroutines", sv.Goroutines)
		f.Set("server_connections", sv.Connections)
	}
}

// entityFigures adds the entity counts, when the bots tracked them.
func entityFigures(f *Figures, s *measure.Stats) {
	if s.Entities.Count() == 0 && s.EntitiesUnresolved == 0 && s.EntitiesFull.Count() == 0 {
		return
	}
	f.Set("entities_per_snapshot_mean", measure.Round3(s.Entities.Mean()))
	f.Set("entities_per_snapshot_p50", s.Entities.Quantile(0.5))
	f.Set("entities_per_snapshot_p99", s.Entities.Quantile(0.99))
	f.Set("entities_per_snapshot_max", s.Entities.Max())
	f.Set("entities_unresolved", s.EntitiesUnresolved)
	f.Set("full_snapshots_counted", int64(s.EntitiesFull.Count()))
	if s.EntitiesFull.Count() > 0 {
		f.Set("entities_per_full_snapshot_mean", measure.Round3(s.EntitiesFull.Mean()))
	}
}
