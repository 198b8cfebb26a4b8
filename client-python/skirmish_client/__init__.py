"""A small reference client of the Skirmish wire protocol (skirmish.v1).

It speaks the protocol as docs/protocol.md describes it, with the message
classes protoc generates from proto/skirmish/v1/skirmish.proto
(`make proto-python` writes them to build/gen/python): the handshake,
joining, inputs with acknowledgements, the reconstruction of full and
delta snapshots (world.py), prediction with the movement rule from
Welcome (movement.py), and resuming a session on a new connection
(session.py). docs/clients.md walks through it.
"""
