#!/usr/bin/env python3
"""A delaying HTTP/1.1 reverse proxy: the rclone side of the latency benchmarks.

`docsfs serve` adds latency itself (`PUT /_docsfs/faults`); `rclone serve webdav` cannot, so the
bench puts this proxy in front of it. It sleeps a fixed delay after reading each request's head and
before forwarding it — per HTTP request, as the docsfs server does — and counts the requests.

To be a fair baseline it adds as little as it can besides the delay: TCP_NODELAY on both sides,
keep-alive (any number of requests per client connection, each client connection with its own
upstream connection that is reused for all its requests, so the delays of concurrent connections
overlap as on a real network), and bodies streamed in both directions as they arrive
(Content-Length, chunked, or until the upstream closes), `Expect: 100-continue` and other 1xx
responses passed through. Heads are forwarded byte for byte (Host included, so WebDAV's
`Destination` still matches).

Usage: delayproxy.py --upstream http://127.0.0.1:PORT [--delay-ms MS] [--listen HOST:PORT]
                     [--port-file FILE] [--stats-file FILE]

It listens on 127.0.0.1:0 by default (a free port), prints "listening on http://HOST:PORT" and,
with --port-file, writes the port number to FILE once it accepts connections. Requests under
/_proxy/ are its own and are neither delayed nor forwarded nor counted:

  GET /_proxy/stats         {"requests": N, "methods": {"GET": n, ...}, "delay_ms": D,
                             "client_connections": C, "upstream_connections": U,
                             "bytes_up": B, "bytes_down": B}
  PUT /_proxy/delay?ms=N    set the delay (also POST)

SIGUSR1 writes the same JSON to --stats-file; SIGTERM and SIGINT write it and exit. Standard
library only.
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import sys
import urllib.parse

HEAD_LIMIT = 1 << 20   # longest request or response head
CHUNK = 1 << 18        # body bytes moved per read


class Stats:
    def __init__(self, delay_ms):
        self.delay_ms = delay_ms
        self.requests = 0
        self.methods = {}
        self.client_connections = 0
        self.upstream_connections = 0
        self.bytes_up = 0
        self.bytes_down = 0

    def json(self):
        return json.dumps({"requests": self.requests, "methods": dict(sorted(self.methods.items())),
                           "delay_ms": self.delay_ms, "client_connections": self.client_connections,
                           "upstream_connections": self.upstream_connections,
                           "bytes_up": self.bytes_up, "bytes_down": self.bytes_down})


class Head:
    """A request or response head: the first line, the headers (lower-case names), the raw bytes."""

    def __init__(self, raw):
        self.raw = raw
        lines = raw.decode("latin-1").split("\r\n")
        self.first = lines[0]
        self.headers = {}
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            name = name.strip().lower()
            value = value.strip()
            # Repeated headers (e.g. Connection, Transfer-Encoding) are joined, as HTTP allows.
            self.headers[name] = f"{self.headers[name]}, {value}" if name in self.headers else value

    def tokens(self, name):
        return {t.strip().lower() for t in self.headers.get(name, "").split(",") if t.strip()}

    def chunked(self):
        return "chunked" in self.tokens("transfer-encoding")

    def length(self):
        v = self.headers.get("content-length")
        return int(v.split(",")[0]) if v else None


def nodelay(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def read_head(reader):
    """The next head, or None at a clean end of stream (no byte read)."""
    try:
        return Head(await reader.readuntil(b"\r\n\r\n"))
    except asyncio.IncompleteReadError as e:
        if not e.partial:
            return None
        raise ConnectionError("stream ended inside a head") from None


async def copy_exact(reader, writer, left, what):
    """Moves exactly `left` bytes; returns them."""
    moved = 0
    while left:
        data = await reader.read(min(left, CHUNK))
        if not data:
            raise ConnectionError(f"stream ended inside {what}")
        writer.write(data)
        moved += len(data)
        left -= len(data)
        await writer.drain()
    return moved


async def copy_body(head, reader, writer, until_eof=False):
    """Streams the body that follows HEAD from reader to writer; returns the bytes moved.
    until_eof: a response without framing, delimited by the connection's end."""
    moved = 0
    if head.chunked():
        while True:
            line = await reader.readuntil(b"\r\n")
            writer.write(line)
            moved += len(line)
            size = int(line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while True:   # trailers, up to the empty line
                    line = await reader.readuntil(b"\r\n")
                    writer.write(line)
                    moved += len(line)
                    if line == b"\r\n":
                        break
                break
            moved += await copy_exact(reader, writer, size + 2, "a chunk")   # and its CRLF
    elif head.length() is not None:
        moved += await copy_exact(reader, writer, head.length(), "a body")
    elif until_eof:
        while data := await reader.read(CHUNK):
            writer.write(data)
            moved += len(data)
            await writer.drain()
    await writer.drain()
    return moved


def response_has_body(method, status):
    return not (method == "HEAD" or 100 <= status < 200 or status in (204, 304))


class Proxy:
    def __init__(self, upstream_host, upstream_port, stats):
        self.host, self.port, self.stats = upstream_host, upstream_port, stats

    async def own(self, head, reader, writer):
        """A /_proxy/ request: answered here, on the same keep-alive connection."""
        if head.length():
            await reader.readexactly(head.length())
        method, target = head.first.split(" ")[:2]
        url = urllib.parse.urlsplit(target)
        status, body = "200 OK", b""
        if url.path == "/_proxy/stats" and method in ("GET", "HEAD"):
            body = self.stats.json().encode() + b"\n"
        elif url.path == "/_proxy/delay" and method in ("PUT", "POST"):
            try:
                self.stats.delay_ms = float(urllib.parse.parse_qs(url.query)["ms"][0])
                body = self.stats.json().encode() + b"\n"
            except (KeyError, ValueError):
                status, body = "400 Bad Request", b"want ?ms=N\n"
        else:
            status, body = "404 Not Found", b"GET /_proxy/stats, PUT /_proxy/delay?ms=N\n"
        writer.write(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + (b"" if method == "HEAD" else body))
        await writer.drain()

    async def connect(self):
        reader, writer = await asyncio.open_connection(self.host, self.port, limit=HEAD_LIMIT)
        nodelay(writer)
        self.stats.upstream_connections += 1
        return reader, writer

    async def client(self, creader, cwriter):
        nodelay(cwriter)
        self.stats.client_connections += 1
        up = None   # (reader, writer) of this client's upstream connection
        try:
            while True:
                head = await read_head(creader)
                if head is None:
                    return
                parts = head.first.split(" ")
                if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
                    cwriter.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    await cwriter.drain()
                    return
                method, target, version = parts
                if target.startswith("/_proxy/"):
                    await self.own(head, creader, cwriter)
                    continue
                self.stats.requests += 1
                self.stats.methods[method] = self.stats.methods.get(method, 0) + 1
                if self.stats.delay_ms > 0:
                    await asyncio.sleep(self.stats.delay_ms / 1000)
                has_body = head.chunked() or bool(head.length())
                # An idle upstream connection may have been closed by the server meanwhile: a
                # request without a body is retried once on a new connection if it got no answer.
                for attempt in (0, 1):
                    pump = None
                    if up is None:
                        up = await self.connect()
                    ureader, uwriter = up
                    try:
                        uwriter.write(head.raw)
                        await uwriter.drain()
                        # The request body flows while the response is read (a 100 Continue or an
                        # early error response may come first).
                        pump = asyncio.ensure_future(
                            copy_body(head, creader, uwriter)) if has_body else None
                        rhead = await read_head(ureader)
                        if rhead is None:
                            raise ConnectionResetError("upstream closed before answering")
                        break
                    except (ConnectionError, OSError):
                        if pump is not None:
                            pump.cancel()
                        uwriter.close()
                        up = None
                        if has_body or attempt == 1:
                            raise
                while True:
                    status = int(rhead.first.split(" ")[1])
                    if status == 101 or not 100 <= status < 200:
                        break
                    cwriter.write(rhead.raw)   # 100 Continue and other interim responses
                    await cwriter.drain()
                    rhead = await read_head(ureader)
                    if rhead is None:
                        raise ConnectionError("upstream closed after an interim response")
                cwriter.write(rhead.raw)
                framed = rhead.chunked() or rhead.length() is not None
                down = 0
                if response_has_body(method, status):
                    down = await copy_body(rhead, ureader, cwriter, until_eof=not framed)
                else:
                    await cwriter.drain()
                if pump is not None:
                    self.stats.bytes_up += await pump
                self.stats.bytes_down += down
                close = ("close" in rhead.tokens("connection") or "close" in head.tokens("connection")
                         or (response_has_body(method, status) and not framed)
                         or (version == "HTTP/1.0" and "keep-alive" not in head.tokens("connection")))
                if close:
                    return
        except (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            return
        finally:
            if up is not None:
                up[1].close()
            cwriter.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", required=True, help="http://HOST:PORT of the server")
    ap.add_argument("--delay-ms", type=float, default=0.0, help="delay per request (default 0)")
    ap.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (default 127.0.0.1:0)")
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--stats-file", help="write the counts here on SIGUSR1 and at exit")
    args = ap.parse_args()
    up = urllib.parse.urlsplit(args.upstream)
    if up.scheme != "http" or not up.hostname:
        sys.exit("delayproxy.py: --upstream must be http://HOST:PORT")
    stats = Stats(args.delay_ms)
    proxy = Proxy(up.hostname, up.port or 80, stats)
    host, _, port = args.listen.rpartition(":")

    def write_stats():
        if args.stats_file:
            tmp = args.stats_file + ".tmp"
            with open(tmp, "w") as f:
                f.write(stats.json() + "\n")
            os.replace(tmp, args.stats_file)

    async def serve():
        server = await asyncio.start_server(proxy.client, host or "127.0.0.1", int(port), limit=HEAD_LIMIT,
                                            reuse_address=True)
        bound = server.sockets[0].getsockname()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, write_stats)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        if args.port_file:
            with open(args.port_file + ".tmp", "w") as f:
                f.write(f"{bound[1]}\n")
            os.replace(args.port_file + ".tmp", args.port_file)
        print(f"listening on http://{bound[0]}:{bound[1]} (upstream {args.upstream}, "
              f"{stats.delay_ms:g} ms per request)", flush=True)
        async with server:
            await stop.wait()
        write_stats()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
