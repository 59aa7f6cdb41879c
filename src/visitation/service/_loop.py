"""The event loop of each worker process when several share one listening socket.

With ``workers > 1`` every worker waits on the same listening socket, and a new
connection wakes them all. asyncio's loop then accepts, in one turn, every connection
waiting (up to the listen backlog): when an EHR opens its keep-alive connections in a
burst, the first worker awake takes all of them and the other workers none, for as long as
the connections live — measured with 8 connections and 2 workers, all 8 on one worker in
most runs, so that worker queued 8 requests while the other core idled. Accepting **one
connection per turn** lets every awake worker take its share: a worker that has just taken
one goes back to its loop (and to the requests it already holds) before it may take
another, and the other workers take theirs meanwhile.

The turn-by-turn acceptance is asyncio's own ``_accept_connection`` with a count of one
(the count it otherwise takes from the backlog); the listen backlog itself is unchanged.
Where a Python lacks that method the loop is asyncio's as it is.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["OneAcceptLoop", "one_accept_loop"]


class OneAcceptLoop(asyncio.SelectorEventLoop):
    """asyncio's selector event loop, accepting at most one connection per turn."""

    if hasattr(asyncio.SelectorEventLoop, "_accept_connection"):

        def _accept_connection(  # asyncio's private method, with a count of one
            self,
            protocol_factory: Any,
            sock: Any,
            sslcontext: Any = None,
            server: Any = None,
            backlog: int = 100,
            *args: Any,
            **kw: Any,
        ) -> None:
            parent: Any = super()
            parent._accept_connection(protocol_factory, sock, sslcontext, server, 1, *args, **kw)


def one_accept_loop() -> asyncio.AbstractEventLoop:
    """A new :class:`OneAcceptLoop` (uvicorn's ``loop`` setting names this factory)."""
    return OneAcceptLoop()
