"""One shared, pipelined Redis connection for the home page's read script.

redis-py spends ~100 us of Python on a command (a connection taken from its pool and given
back, retries, a send timeout run as a task of its own, response callbacks), twice what the
round trip itself costs; the home page sends one script call and was paying it on every
page. Here every request of the process writes its EVALSHA to one connection and awaits
its reply, which Redis returns in order (RESP pipelining): the command is packed by hand and
the reply parsed by hiredis, the parser redis-py uses too. 48 us of CPU a call instead of
101 (sequential calls on loopback, `EVALSHA` of a two-element reply).

Only what the page needs: plain `redis://` URLs (host, port, db, user, password); anything
else (TLS, unix sockets) and any failure of this connection (refused, reset, no reply within
`TIMEOUT`) make `call` raise `Unavailable`, and the caller sends the command through redis-py
instead, which then reports a Redis that is really down the usual way. A reply that is an
error (`NOSCRIPT` after Redis restarted: scripts are not persisted) raises `ResponseError`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import hiredis
from redis.asyncio.connection import parse_url
from redis.exceptions import ResponseError

TIMEOUT = 5.0  # seconds for a reply, as redis-py's default socket timeout


class Unavailable(Exception):
    """This connection cannot carry the command; send it another way."""


def pack(*args: str | int | bytes) -> bytes:
    """A command in RESP: an array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.reader = hiredis.Reader(encoding="utf-8")
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self.transport: Any = None  # uvloop's transports are not asyncio.Transport
        self.lost = False
        # Commands sent during one turn of the event loop, written together at its end: one
        # system call for the pages that asked at once, not one each.
        self.unsent: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while True:
            reply = self.reader.gets()
            if reply is False:
                return
            if not self.waiting:  # a reply nobody asked for: the stream is out of step
                self._fail(Unavailable("unexpected reply"))
                return
            waiter = self.waiting.popleft()
            if not waiter.done():  # a caller that timed out leaves its place in the line
                waiter.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(Unavailable(f"connection lost: {exc}"))

    def _fail(self, exc: Exception) -> None:
        self.lost = True
        self.unsent = []
        if self.transport is not None:
            self.transport.close()
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_exception(exc)

    def send(self, command: bytes) -> asyncio.Future[Any]:
        if self.lost or self.transport is None or self.transport.is_closing():
            raise Unavailable("connection closed")
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self.waiting.append(waiter)
        if not self.unsent:
            loop.call_soon(self._flush)
        self.unsent.append(command)
        return waiter

    def _flush(self) -> None:
        unsent, self.unsent = self.unsent, []
        if unsent and not self.lost and not self.transport.is_closing():
            # (when lost or closing, their callers hear it from _fail)
            self.transport.write(b"".join(unsent))


class RedisWire:
    def __init__(self, url: str) -> None:
        opts = parse_url(url) if url.startswith("redis://") else {}
        self._host: str | None = opts.get("host") if "path" not in opts else None
        self._port = int(opts.get("port") or 6379)
        self._setup: list[bytes] = []
        if opts.get("password"):
            user = opts.get("username")
            self._setup.append(pack("AUTH", *([user] if user else []), opts["password"]))
        if opts.get("db"):
            self._setup.append(pack("SELECT", int(opts["db"])))
        self._proto: _Protocol | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connecting: asyncio.Future[_Protocol] | None = None

    async def call(self, *args: str | int) -> Any:
        """The command's reply; Unavailable when this connection cannot give it."""
        proto = self._proto
        if proto is None or proto.lost or self._loop is not asyncio.get_running_loop():
            proto = await self._connect()
        waiter = proto.send(pack(*args))
        try:
            async with asyncio.timeout(TIMEOUT):
                reply = await waiter
        except TimeoutError:
            proto._fail(Unavailable("no reply in time"))  # its replies are out of step now
            raise Unavailable("no reply in time") from None
        if isinstance(reply, hiredis.ReplyError):
            raise ResponseError(str(reply))
        return reply

    async def _connect(self) -> _Protocol:
        if self._host is None:
            raise Unavailable("not a plain redis:// URL")
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._proto, self._connecting, self._loop = None, None, loop
        if self._connecting is None or self._connecting.done():
            self._connecting = loop.create_future()
            connecting = self._connecting
            try:
                proto = await self._open(loop)
            except BaseException as exc:
                failed = Unavailable(f"cannot connect: {exc!r}")
                connecting.set_exception(failed)
                connecting.exception()  # retrieved: a failed connect nobody else awaited
                self._connecting = None
                if isinstance(exc, Exception):
                    raise failed from exc
                raise  # cancelled: the caller goes, the others hear it failed
            self._proto = proto
            connecting.set_result(proto)
            return proto
        return await asyncio.shield(self._connecting)

    async def _open(self, loop: asyncio.AbstractEventLoop) -> _Protocol:
        assert self._host is not None
        async with asyncio.timeout(TIMEOUT):
            _, proto = await loop.create_connection(_Protocol, self._host, self._port)
            for command in self._setup:
                reply = await proto.send(command)
                if isinstance(reply, hiredis.ReplyError):
                    proto._fail(Unavailable(str(reply)))
                    raise Unavailable(str(reply))
        return proto

    def close(self) -> None:
        if self._proto is not None and self._proto.transport is not None:
            self._proto.transport.close()
        self._proto = None
