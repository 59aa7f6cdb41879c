"""The event loop of each worker process when several share one listening socket.

With ``workers > 1`` every worker waits on the same listening socket, and a new
connection wakes them all. asyncio's loop then accepts, in one turn, every connection
waiting (up to the listen backlog): when an EHR opens its keep-alive connections in a
burst, the first worker awake takes all of them and the other workers none, for as long as
the connections live — measured with 8 connections and 2 workers, all 8 on one worker in
most runs, so that worker queued 8 requests while the other core idled.

So a worker here accepts **one connection per turn**, and after each one it leaves the
listening socket to the others for a moment that grows with the connections it already
holds (a quarter of a millisecond for each, at most 2 ms): the worker holding fewer
connections is the first back, and takes the next. A worker alone, or the others busy,
still accepts a connection every 2 ms at least; the listen backlog is unchanged.

This is asyncio's own ``_accept_connection`` with a count of one, and its own reader
registration, both private to asyncio (Python 3.11 to 3.13 have them alike); where a
Python lacks them the loop is asyncio's as it is.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["OneAcceptLoop", "one_accept_loop"]

PAUSE_PER_CONNECTION = 0.00025
"""Seconds a worker leaves the listening socket after an accept, per connection it holds."""
PAUSE_MAX = 0.002

_PRIVATE = ("_accept_connection", "_add_reader", "_remove_reader")


class OneAcceptLoop(asyncio.SelectorEventLoop):
    """asyncio's selector event loop, accepting one connection per turn and then pausing
    its accepting in proportion to the connections it holds."""

    if all(hasattr(asyncio.SelectorEventLoop, name) for name in _PRIVATE):

        def _accept_connection(  # asyncio's private method, with a count of one
            self,
            protocol_factory: Any,
            sock: Any,
            sslcontext: Any = None,
            server: Any = None,
            backlog: int = 100,
            *args: Any,
        ) -> None:
            loop: Any = super()
            loop._accept_connection(protocol_factory, sock, sslcontext, server, 1, *args)
            if server is None:
                return
            held = getattr(server, "_active_count", 0) + 1  # this one is not attached yet
            fd = sock.fileno()
            if fd < 0:
                return
            self._remove_reader(fd)  # type: ignore[attr-defined]
            again = (protocol_factory, sock, sslcontext, server, backlog, *args)
            pause = min(PAUSE_MAX, PAUSE_PER_CONNECTION * held)
            self.call_later(pause, self._accept_again, fd, again)

        def _accept_again(self, fd: int, again: tuple[Any, ...]) -> None:
            sock, server = again[1], again[3]
            if server.is_serving() and sock.fileno() == fd:  # not closed meanwhile
                self._add_reader(fd, self._accept_connection, *again)  # type: ignore[attr-defined]


def one_accept_loop() -> asyncio.AbstractEventLoop:
    """A new :class:`OneAcceptLoop` (uvicorn's ``loop`` setting names this factory)."""
    return OneAcceptLoop()
