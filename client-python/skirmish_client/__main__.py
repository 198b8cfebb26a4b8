"""Plays for a while: python3 -m skirmish_client ws://HOST:PORT/ws [SECONDS]

Joins a movers room, walks in a square (one input per snapshot), prints
what it sees once a second, drops its connection halfway and resumes the
session on a new one, then leaves.
"""

import asyncio
import sys

from .session import Session

SQUARE = [(1, 0), (0, 1), (-1, 0), (0, -1)]


async def play(url, seconds):
    session = await Session.connect(url)
    welcome = await session.join(name="python", mode="movers")
    rate = welcome.tick_rate
    print("joined room %s as player %d at %d Hz" % (welcome.room, welcome.player_id, rate))
    for t in range(int(seconds * rate)):
        if t == int(seconds * rate) // 2:
            token, seq = session.token, session.input_seq
            await session.close()  # as if the network dropped: no Leave
            session = await Session.connect(url)
            session.input_seq = seq
            back = await session.resume(token)
            print("resumed as player %d; inputs go on after %d" % (back.player_id, back.input_seq))
        tick = session.tick
        while session.tick <= tick:
            await session.receive()
        dx, dy = SQUARE[(t // rate) % 4]
        session.send_input(dx, dy)
        if t % rate == 0:
            own = session.world.get(session.player_id)
            print(
                "tick %d: %d entities, %d players, %d deltas; at %s, predicted %s"
                % (
                    session.tick,
                    len(session.world),
                    len(session.roster),
                    session.deltas,
                    own and (own.x / welcome.position_scale, own.y / welcome.position_scale),
                    session.predictor and session.predictor.position,
                )
            )
    await session.leave()
    await session.close()


if __name__ == "__main__":
    asyncio.run(play(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 10))
