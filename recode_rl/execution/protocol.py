"""Length-prefixed messages between the parent and the fork server (trusted ends only).

A message is one JSON frame, optionally followed by raw frames ("segments"): the supervisor
passes a returned value's JSON text through as a segment without decoding it, and the parent
decodes and checks it (`decode_segment`), so a value of 100 MB is parsed once, not three times.
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Sequence

__all__ = ["send_msg", "recv_msg", "recv_frame", "decode_segment", "depth_ok", "MAX_DEPTH"]

_HDR = struct.Struct("!I")
MAX_DEPTH = 250  # nesting of a returned value on the trusted side (the harness sends at most 200)


def send_msg(sock: socket.socket, obj: object, segments: Sequence[bytes] = ()) -> None:
    data = json.dumps(obj, separators=(",", ":")).encode()
    sock.sendall(_HDR.pack(len(data)) + data)
    for seg in segments:
        sock.sendall(_HDR.pack(len(seg)))
        sock.sendall(seg)


def recv_frame(sock: socket.socket) -> bytes:
    def exact(n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = sock.recv(min(n - len(buf), 1 << 20))
            if not chunk:
                raise ConnectionError("connection closed mid-message")
            buf += chunk
        return bytes(buf)

    (n,) = _HDR.unpack(exact(_HDR.size))
    return exact(n)


def recv_msg(sock: socket.socket) -> object:
    return json.loads(recv_frame(sock))


def depth_ok(value: object, text: bytes | None = None) -> bool:
    """Iteratively check that a decoded JSON value nests at most MAX_DEPTH levels. With the
    `text` it was decoded from: a text with at most MAX_DEPTH brackets and braces in all cannot
    nest deeper, which settles it without visiting the value (a list of a million numbers)."""
    if text is not None and text.count(b"[") + text.count(b"{") <= MAX_DEPTH:
        return True
    if type(value) is not list and type(value) is not dict:
        return True
    stack = [(value, 0)]
    while stack:  # containers only: a list of scalars is settled at C speed (`set(map(type, ...))`)
        v, d = stack.pop()
        if d > MAX_DEPTH:
            return False
        items = v if type(v) is list else v.values()
        kinds = set(map(type, items))
        if list in kinds or dict in kinds:
            stack.extend((x, d + 1) for x in items if type(x) is list or type(x) is dict)
    return True


def decode_segment(data: bytes) -> object:
    """One returned value from the sandbox, as the child wrote it: exactly one JSON value,
    nesting at most MAX_DEPTH levels. Raises ValueError otherwise (the unit then fails)."""
    try:
        value = json.loads(data)  # trailing data after the one value is an error ("Extra data")
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not depth_ok(value, data):
        raise ValueError("nested too deeply")
    return value
