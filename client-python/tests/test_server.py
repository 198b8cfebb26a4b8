"""The Python client against a real server: the built binary (SKIRMISH_BIN,
`make pytest` builds it) started on loopback with an ephemeral port. It
joins, plays, decodes full and delta snapshots, predicts, changes rooms,
and resumes after dropping its connection."""

import asyncio
import os
import re
import subprocess
import threading
import time
import unittest

from skirmish.v1 import skirmish_pb2 as pb

from skirmish_client.session import ServerError, Session

DEADLINE = 30  # seconds any one step may take on a loaded machine


class Server:
    """The skirmish binary on 127.0.0.1:0, until stop()."""

    def __init__(self, binary):
        self.proc = subprocess.Popen(
            [binary, "-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output = []
        found = threading.Event()
        self.url = None

        def drain():  # owned by the server: ends when its output closes
            for line in self.proc.stdout:
                self.output.append(line)
                m = re.match(r"skirmish: serving http://([^/]+)/", line)
                if m and not self.url:
                    self.url = "ws://%s/ws" % m.group(1)
                    found.set()

        self.reader = threading.Thread(target=drain, daemon=True)
        self.reader.start()
        if not found.wait(DEADLINE):
            self.stop()
            raise RuntimeError("the server did not say where it serves:\n" + "".join(self.output))

    def stop(self):
        # SIGTERM drains: rooms play on while players (or players waiting
        # for a resume) are in them. A second SIGTERM ends it at once.
        self.proc.terminate()
        try:
            self.proc.wait(1)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
        try:
            self.proc.wait(DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(DEADLINE)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, DEADLINE))


async def until(session, cond, what):
    """Receives messages until cond() holds."""
    while not cond():
        try:
            await session.receive()
        except Exception as e:
            raise AssertionError("connection ended waiting for %s: %r" % (what, e))


async def play(session, ticks, steer):
    """Sends one input per snapshot received, for `ticks` snapshots."""
    for _ in range(ticks):
        tick = session.tick
        await until(session, lambda: session.tick > tick, "a snapshot")
        dx, dy = steer(session)
        session.send_input(dx, dy)


def towards_centre(session):
    own = session.world.get(session.player_id)
    if own is None:
        return 0, 0
    half = session.welcome.world_width * session.welcome.position_scale / 2
    return (1 if own.x < half else -1), (1 if own.y < half else -1)


@unittest.skipUnless(os.environ.get("SKIRMISH_BIN"), "set SKIRMISH_BIN to the built server (make pytest does)")
class AgainstServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(os.environ["SKIRMISH_BIN"])

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_plays_decodes_and_predicts(self):
        async def scenario():
            url = self.server.url
            me = await Session.connect(url)
            w = await me.join(name="py", mode="movers", room="py-play")
            self.assertTrue(w.HasField("movement"), "Welcome carries the movement rule")
            self.assertEqual((w.movement.speed, w.movement.normalize_diagonal), (100, False))
            self.assertEqual(w.tick_period_ns, 10**9 // w.tick_rate)
            # A spectator of the same room sees the same worlds, from full
            # snapshots, while the player gets deltas.
            watcher = await Session.connect(url)
            await watcher.join(room="py-play", spectate=True)
            await play(me, 45, towards_centre)
            await play(me, 15, lambda s: (0, 0))
            await until(me, lambda: me.input_ack == me.input_seq, "every input applied")
            own = me.world[me.player_id]
            scale = w.position_scale
            # Prediction has nothing left to replay: it is the server's position.
            self.assertEqual(me.predictor.position, (own.x / scale, own.y / scale))
            self.assertEqual(me.refused, 0)
            self.assertGreater(me.deltas, 30, "deltas were used")
            await until(watcher, lambda: watcher.tick >= me.tick, "the spectator to catch up")
            common = set(me.history.worlds) & set(watcher.history.worlds)
            self.assertGreater(len(common), 10)
            for t in common:
                self.assertEqual(me.history.worlds[t], watcher.history.worlds[t], "tick %d" % t)
            self.assertEqual(watcher.deltas, 0, "spectators receive full snapshots")
            # A spectator's input is refused once, then dropped silently.
            watcher.send_input(1, 0)
            watcher.send_input(1, 0)
            await until(watcher, lambda: watcher.errors, "ERROR_CODE_SPECTATOR")
            self.assertEqual(watcher.errors[0].code, pb.ERROR_CODE_SPECTATOR)
            tick = watcher.tick
            await until(watcher, lambda: watcher.tick > tick + 5, "more snapshots")
            self.assertEqual(len(watcher.errors), 1)
            await me.leave()
            await me.close()
            await watcher.close()

        run(scenario())

    def test_roster_updates(self):
        async def scenario():
            a = await Session.connect(self.server.url)
            await a.join(name="ann", mode="movers", room="py-roster")
            b = await Session.connect(self.server.url)
            wb = await b.join(name="a name longer than sixteen", room="py-roster")
            await until(a, lambda: wb.player_id in a.roster, "the RosterUpdate of b's join")
            self.assertEqual(a.roster[wb.player_id], "a name longer th", "names are cut to 16 characters")
            await b.leave()
            await until(a, lambda: wb.player_id not in a.roster, "the RosterUpdate of b's leave")
            await a.leave()
            await a.close()
            await b.close()

        run(scenario())

    def test_room_change_with_inputs_in_flight(self):
        async def scenario():
            url = self.server.url
            me = await Session.connect(url)
            await me.join(name="py", mode="movers", room="py-x")
            await play(me, 40, towards_centre)
            # Another room, and keep sending inputs (with acks of py-x's
            # ticks) until its Welcome arrives.
            other = await Session.connect(url)
            await other.join(name="host", mode="movers", room="py-y")
            await me._send(pb.ClientMessage(join=pb.Join(name="py", room="py-y")))
            while me.welcome.room != "py-y":
                me.send_input(1, 0)
                await me.receive()
            await play(me, 40, towards_centre)
            await until(other, lambda: other.tick >= me.tick, "the other player to catch up")
            self.assertEqual(me.refused, 0)
            self.assertGreater(me.deltas, 20)
            common = set(me.history.worlds) & set(other.history.worlds)
            self.assertGreater(len(common), 10)
            for t in common:
                self.assertEqual(me.history.worlds[t], other.history.worlds[t], "tick %d" % t)
            await me.leave()
            await other.leave()
            await me.close()
            await other.close()

        run(scenario())

    def test_resume_after_a_drop(self):
        async def scenario():
            url = self.server.url
            first = await Session.connect(url)
            w = await first.join(name="py", mode="movers", room="py-resume")
            await play(first, 20, towards_centre)
            await until(first, lambda: first.input_ack == first.input_seq, "inputs applied")
            token, seq = first.token, first.input_seq
            # A normal close without Leave is a disconnect: the player waits
            # in the room for the resume grace.
            await first.close()
            second = await Session.connect(url)
            back = await second.resume(token)
            self.assertTrue(back.resumed)
            self.assertEqual(back.player_id, w.player_id)
            self.assertEqual(back.input_seq, seq)
            self.assertNotEqual(back.session_token, token, "each Welcome carries a new token")
            await until(second, lambda: second.tick > 0, "a snapshot")
            first_tick = min(second.history.worlds)
            self.assertEqual(second.deltas, 0, "the first snapshot after a resume is full (%d)" % first_tick)
            await play(second, 20, towards_centre)
            self.assertGreater(second.deltas, 5)
            self.assertEqual(second.refused, 0)
            # The token was used: it works once.
            third = await Session.connect(url)
            with self.assertRaises(ServerError) as err:
                await third.resume(token)
            self.assertEqual(err.exception.code, pb.ERROR_CODE_SESSION_INVALID)
            await second.leave()
            await second.close()
            await third.close()

        run(scenario())


if __name__ == "__main__":
    unittest.main()
