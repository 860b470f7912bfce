"""A Python `websockets` peer for fullduplex's interop tests, driven over stdin/stdout.

Usage:
  peer.py client URL [--cafile PEM] [--subprotocol NAME ...] [--compression deflate|none]
  peer.py server [--certfile PEM --keyfile PEM] [--echo] [--subprotocol NAME ...] [--compression ...]

Commands arrive as JSON lines on stdin and act on the current connection:
  {"op": "send", "type": "text"|"binary", "data": str}          text as is; binary as hex
  {"op": "send", "type": "binary", "size": N}                    N bytes of the shared pattern
  {"op": "send", "type": "text"|"binary", "fragments": [str]}    one message, one frame per item
  {"op": "ping", "data": str}                                   reports {"event": "pong", ...}
  {"op": "pings", "count": N}                                    N pings ("ping 0".."ping N-1") in one write
  {"op": "close", "code": N, "reason": str}
  {"op": "abort"}                                                drop TCP without a close frame
  {"op": "raw", "hex": str}                                      write bytes under the protocol
  {"op": "exit"}
Events go out as JSON lines on stdout: listening, open, message, pong, pong-frame (every Pong frame
received, with its payload: websockets itself acknowledges earlier pings with a later pong, so its
ping() cannot tell one pong per ping from one for the last), closed, error.
A message is reported by length and SHA-256 (and its text when short) so 16 MiB stays cheap.
"""

import argparse
import asyncio
import hashlib
import json
import os
import ssl
import sys
import time

import websockets
from websockets.frames import OP_PING, OP_PONG, Frame
from websockets.legacy.protocol import WebSocketCommonProtocol


def emit(event, **fields):
    fields["event"] = event
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def pattern(size):
    # The same bytes as test/interop/peer-pattern.ts: byte i is (i * 31 + 7) & 0xff.
    block = bytes(((i * 31 + 7) & 0xFF) for i in range(256))
    whole, rest = divmod(size, 256)
    return block * whole + block[:rest]


def describe(message):
    if isinstance(message, str):
        data = message.encode("utf-8")
        fields = {"type": "text", "length": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        if len(data) <= 256:
            fields["text"] = message
        return fields
    return {"type": "binary", "length": len(message), "sha256": hashlib.sha256(message).hexdigest()}


class Peer:
    def __init__(self, echo):
        self.echo = echo
        self.connection = None
        self.connected = asyncio.Event()

    async def run_connection(self, connection):
        self.connection = connection
        self.connected.set()
        request_headers = getattr(connection, "request_headers", None)
        emit(
            "open",
            subprotocol=connection.subprotocol,
            path=getattr(connection, "path", None),
            origin=request_headers.get("Origin") if request_headers is not None else None,
            extensions=[extension.name for extension in connection.extensions],
        )
        try:
            async for message in connection:
                emit("message", **describe(message))
                if self.echo:
                    await connection.send(message)
        except websockets.ConnectionClosed:
            pass
        except Exception as error:  # a peer bug must still end in a closed event
            emit("error", message=repr(error))
        await connection.wait_closed()
        emit("closed", code=connection.close_code, reason=connection.close_reason)

    async def command(self, command):
        await self.connected.wait()
        connection = self.connection
        op = command["op"]
        if op == "send":
            kind = command.get("type", "text")
            if "fragments" in command:
                parts = command["fragments"]
                items = parts if kind == "text" else [bytes.fromhex(part) for part in parts]
                await connection.send(items)
            elif "size" in command:
                await connection.send(pattern(command["size"]))
            elif "random" in command:
                data = os.urandom(command["random"])
                emit("sent", **describe(data))
                await connection.send(data)
            elif kind == "text":
                await connection.send(command["data"])
            else:
                await connection.send(bytes.fromhex(command["data"]))
        elif op == "ping":
            started = time.monotonic()
            waiter = await connection.ping(command.get("data", "").encode("utf-8"))
            await waiter
            emit("pong", rtt=(time.monotonic() - started) * 1000)
        elif op == "pings":
            # Back to back, in one transport write (websockets' own ping() would await each).
            frames = [
                Frame(OP_PING, f"ping {index}".encode("utf-8")).serialize(
                    mask=connection.is_client, extensions=connection.extensions
                )
                for index in range(command["count"])
            ]
            connection.transport.write(b"".join(frames))
        elif op == "close":
            await connection.close(command.get("code", 1000), command.get("reason", ""))
        elif op == "abort":
            connection.transport.abort()
        elif op == "raw":
            connection.transport.write(bytes.fromhex(command["hex"]))
        else:
            emit("error", message="unknown op " + op)


def record_pongs():
    """Report each Pong frame as it is read: every frame passes the (legacy) protocol's read_frame,
    patched on the class because a client's first read is already pending when connect() returns."""
    read_frame = WebSocketCommonProtocol.read_frame

    async def recording(self, max_size):
        frame = await read_frame(self, max_size)
        if frame.opcode == OP_PONG:
            emit("pong-frame", data=frame.data.decode("utf-8", "replace"))
        return frame

    WebSocketCommonProtocol.read_frame = recording


async def read_commands(peer, done):
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        command = json.loads(line)
        if command["op"] == "exit":
            break
        try:
            await peer.command(command)
        except Exception as error:
            emit("error", message=repr(error), op=command["op"])
    done.set_result(None)


async def main():
    record_pongs()
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["client", "server"])
    parser.add_argument("url", nargs="?")
    parser.add_argument("--cafile")
    parser.add_argument("--certfile")
    parser.add_argument("--keyfile")
    parser.add_argument("--echo", action="store_true")
    parser.add_argument("--subprotocol", action="append", default=None)
    parser.add_argument("--compression", choices=["deflate", "none"], default="none")
    options = parser.parse_args()
    compression = None if options.compression == "none" else "deflate"
    common = dict(
        compression=compression,
        subprotocols=options.subprotocol,
        max_size=64 * 1024 * 1024,
        ping_interval=None,
        close_timeout=5,
    )
    peer = Peer(options.echo)
    done = asyncio.get_running_loop().create_future()
    commands = asyncio.ensure_future(read_commands(peer, done))

    if options.role == "client":
        context = None
        if options.url.startswith("wss:"):
            context = ssl.create_default_context(cafile=options.cafile)
        try:
            connection = await websockets.connect(options.url, ssl=context, open_timeout=10, **common)
        except Exception as error:
            emit("error", message=repr(error), status=getattr(error, "status_code", None))
            return
        await peer.run_connection(connection)
        await done
    else:
        context = None
        if options.certfile:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(options.certfile, options.keyfile)
        server = await websockets.serve(peer.run_connection, "127.0.0.1", 0, ssl=context, **common)
        port = server.sockets[0].getsockname()[1]
        emit("listening", port=port)
        await done
        server.close()
        await server.wait_closed()
    commands.cancel()


if __name__ == "__main__":
    asyncio.run(main())
