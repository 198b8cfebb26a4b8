"""One connection to a Skirmish server, following docs/protocol.md.

    session = await Session.connect("ws://127.0.0.1:8080/ws")  # Hello
    welcome = await session.join(name="py", mode="movers")      # Welcome
    session.send_input(dx=1, dy=0)      # about once per tick
    await session.receive()             # Roster, RosterUpdate, Snapshot...
    token = session.token               # to resume after a drop
    ...
    session = await Session.connect(url)
    await session.resume(token)         # the same player, a new history

The state a client keeps lives here: the membership (from the latest
Welcome), the roster, the snapshot history and the prediction of our own
player. Every Welcome starts a new baseline history.
"""

import asyncio

import websockets

from skirmish.v1 import skirmish_pb2 as pb

from .movement import Predictor, Rule, tick_seconds
from .world import SnapshotError, SnapshotHistory

PROTOCOL_VERSION = 1
CLIENT_NAME = "skirmish-python/0.1"


class ServerError(Exception):
    """The server refused a request with an Error message."""

    def __init__(self, error):
        super().__init__("%s: %s" % (pb.ErrorCode.Name(error.code), error.message))
        self.code = error.code


class Session:
    def __init__(self, ws, hello):
        self.ws = ws
        self.server_hello = hello
        self.welcome = None  # the latest Welcome: the membership
        self.history = SnapshotHistory(0)
        self.roster = {}  # id -> name
        self.world = {}  # the newest reconstructed world, id -> Entity
        self.tick = 0  # its tick
        self.input_seq = 0  # seq of the last Input sent
        self.input_ack = 0  # highest seq the server applied
        self.predictor = None
        self.errors = []  # Error messages received outside a request
        self.deltas = 0  # snapshots reconstructed from a delta
        self.refused = 0  # snapshots dropped

    @classmethod
    async def connect(cls, url, client=CLIENT_NAME):
        """Opens the WebSocket and does the handshake (Hello, ServerHello).
        permessage-deflate is not offered: the server declines it."""
        ws = await websockets.connect(url, compression=None, max_size=1 << 20, ping_interval=None)
        await ws.send(pb.ClientMessage(hello=pb.Hello(protocol_version=PROTOCOL_VERSION, client=client)).SerializeToString())
        msg = await _read(ws)
        if msg.WhichOneof("msg") == "error":
            raise ServerError(msg.error)
        if msg.WhichOneof("msg") != "hello":
            raise ConnectionError("expected ServerHello, got %s" % msg.WhichOneof("msg"))
        return cls(ws, msg.hello)

    @property
    def token(self):
        """The session token of the latest Welcome ("" for a spectator)."""
        return self.welcome.session_token if self.welcome else ""

    @property
    def player_id(self):
        return self.welcome.player_id if self.welcome else 0

    async def join(self, name="", mode="", room="", private=False, spectate=False):
        """Joins a room; returns the Welcome (raises ServerError if refused)."""
        join = pb.Join(name=name, mode=mode, room=room, private=private, spectate=spectate)
        return await self._join(join)

    async def resume(self, token):
        """Takes the player of token back on this connection."""
        return await self._join(pb.Join(resume_token=token))

    async def leave(self):
        """Gives up the room: the player leaves at once, no resume."""
        await self._send(pb.ClientMessage(leave=pb.Leave()))
        self.welcome, self.predictor = None, None
        self.history = SnapshotHistory(0)

    def send_input(self, dx=0.0, dy=0.0, aim=0.0, buttons=0):
        """Queues one Input with the next seq and the newest reconstructed
        tick as ack_tick; prediction applies it at once."""
        self.input_seq += 1
        msg = pb.ClientMessage(
            input=pb.Input(seq=self.input_seq, dx=dx, dy=dy, aim=aim, buttons=buttons, ack_tick=self.history.ack_tick)
        )
        if self.predictor:
            self.predictor.sent(self.input_seq, dx, dy)
        return asyncio.ensure_future(self._send(msg))

    async def receive(self):
        """Reads and handles one server message; returns it."""
        msg = await _read(self.ws)
        self.handle(msg)
        return msg

    def handle(self, msg):
        """Applies one ServerMessage to the client's state."""
        kind = msg.WhichOneof("msg")
        if kind == "welcome":
            self._welcomed(msg.welcome)
        elif kind == "roster":
            self.roster = {p.id: p.name for p in msg.roster.players}
        elif kind == "roster_update":
            for pid in msg.roster_update.left:
                self.roster.pop(pid, None)
            for p in msg.roster_update.joined:
                self.roster[p.id] = p.name
        elif kind == "snapshot":
            self._snapshot(msg.snapshot, msg.input_ack)
        elif kind == "error":
            self.errors.append(msg.error)

    async def close(self):
        await self.ws.close()

    async def _join(self, join):
        await self._send(pb.ClientMessage(join=join))
        while True:
            msg = await _read(self.ws)
            kind = msg.WhichOneof("msg")
            if kind == "error" and msg.error.code != pb.ERROR_CODE_SERVER_RESTARTING:
                raise ServerError(msg.error)
            self.handle(msg)
            if kind == "welcome":
                return msg.welcome

    def _welcomed(self, w):
        # Every Welcome starts a new baseline history: ticks count per
        # room, and the server takes acks only of ticks it sent since.
        self.welcome = w
        self.history = SnapshotHistory(w.tick_rate)
        self.roster, self.world, self.tick = {}, {}, 0
        if w.resumed:
            # Inputs up to input_seq were applied; continue after it.
            self.input_seq = w.input_seq
        self.input_ack = w.input_seq
        rule = Rule.from_welcome(w)
        self.predictor = None
        if rule and not w.spectator:
            self.predictor = Predictor(rule, tick_seconds(w), w.world_width, w.world_height)

    def _snapshot(self, snap, input_ack):
        if self.welcome is None:
            return  # not in a room (a snapshot of the room just left)
        try:
            world = self.history.apply(snap)
        except SnapshotError:
            self.refused += 1  # not acknowledged: the server falls back
            return
        if snap.base_tick:
            self.deltas += 1
        if snap.tick < self.tick:
            return  # an older tick: a baseline, not news
        self.world, self.tick = world, snap.tick
        self.input_ack = max(self.input_ack, input_ack)
        own = world.get(self.player_id)
        if self.predictor and own is not None:
            scale = self.welcome.position_scale or 1
            self.predictor.reconcile(own.x / scale, own.y / scale, own.hp > 0, self.input_ack)

    async def _send(self, msg):
        await self.ws.send(msg.SerializeToString())


async def _read(ws):
    while True:
        data = await ws.recv()
        if isinstance(data, bytes):
            msg = pb.ServerMessage()
            msg.ParseFromString(data)
            return msg
