"""The golden vectors of the contract (proto/testdata/vectors.json, from
the Go reference code): the Python client reconstructs what every step
expects, refuses what it must, and moves a player as the rule says."""

import base64
import json
import math
import os
import unittest

from skirmish.v1 import skirmish_pb2 as pb

from skirmish_client.movement import Rule, step
from skirmish_client.session import Session
from skirmish_client.world import Entity

VECTORS = os.path.join(os.path.dirname(__file__), "..", "..", "proto", "testdata", "vectors.json")


def load():
    with open(VECTORS) as f:
        return json.load(f)


class Vectors(unittest.TestCase):
    def test_streams(self):
        for stream in load()["streams"]:
            with self.subTest(stream=stream["name"]):
                self.run_stream(stream)

    def run_stream(self, stream):
        s = Session(ws=None, hello=None)  # the state machine, without a socket
        for i, st in enumerate(stream["steps"]):
            where = "%s step %d (%s)" % (stream["name"], i, st["about"])
            msg = pb.ServerMessage()
            msg.ParseFromString(base64.b64decode(st["message"]))
            refused = s.refused
            s.handle(msg)
            x = st["expect"]
            self.assertEqual(s.refused > refused, "error" in x, where)
            if "ack_tick" in x:
                self.assertEqual(s.history.ack_tick, x["ack_tick"], where)
            if "room" in x:
                self.assertEqual(
                    (s.welcome.room, s.welcome.player_id, s.welcome.tick_rate),
                    (x["room"], x["player_id"], x["tick_rate"]),
                    where,
                )
            if "input_ack" in x:
                self.assertEqual(msg.input_ack, x["input_ack"], where)
            if "world" in x:
                got = s.history.worlds[x["world"]["tick"]]
                want = {e["id"]: Entity(**e) for e in x["world"]["entities"]}
                self.assertEqual(got, want, where)
            if "roster" in x:
                self.assertEqual([{"id": k, "name": v} for k, v in sorted(s.roster.items())], x["roster"], where)

    def test_movement(self):
        for v in load()["movement"]:
            with self.subTest(movement=v["name"]):
                r = v["rule"]
                rule = Rule(r["speed"], r["radius"], r["normalize_diagonal"])
                dt = v["tick_period_ns"] / 1e9
                x, y = v["start"]["x"], v["start"]["y"]
                for i, t in enumerate(v["ticks"]):
                    x, y, vx, vy = step(rule, x, y, t["dx"], t["dy"], dt, v["world_width"], v["world_height"])
                    for name, got in (("x", x), ("y", y), ("vx", vx), ("vy", vy)):
                        self.assertTrue(math.isclose(got, t[name], abs_tol=1e-6), "%s tick %d: %s %r, want %r" % (v["name"], i, name, got, t[name]))


if __name__ == "__main__":
    unittest.main()
