"""Length-prefixed JSON messages between the parent and the fork server (trusted ends only)."""

from __future__ import annotations

import json
import socket
import struct

__all__ = ["send_msg", "recv_msg"]

_HDR = struct.Struct("!I")


def send_msg(sock: socket.socket, obj: object) -> None:
    data = json.dumps(obj, separators=(",", ":")).encode()
    sock.sendall(_HDR.pack(len(data)) + data)


def recv_msg(sock: socket.socket) -> object:
    def exact(n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = sock.recv(min(n - len(buf), 1 << 20))
            if not chunk:
                raise ConnectionError("connection closed mid-message")
            buf += chunk
        return bytes(buf)

    (n,) = _HDR.unpack(exact(_HDR.size))
    return json.loads(exact(n))
