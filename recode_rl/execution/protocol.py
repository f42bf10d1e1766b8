"""Length-prefixed messages between the parent and the fork server (trusted ends only).

A message is one JSON frame, optionally followed by raw bytes ("segments") back to back, their
lengths listed in the frame's "segments" field. The parent sends a job's test inputs this way
(each already in the form its child reads: a functional test's arguments as JSON text, a stdio
test's stdin), so the supervisor forwards them without decoding or re-encoding anything; the
supervisor passes a returned value's JSON text through the same way, and the parent decodes and
checks it (`decode_segment`), so a value of 100 MB is parsed once, not three times. A message
goes out in one `sendmsg` and its segments come in with one read, however many there are.
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Sequence

__all__ = ["send_msg", "recv_msg", "recv_frame", "recv_segments", "decode_segment", "depth_ok", "MAX_DEPTH"]

_HDR = struct.Struct("!I")
_IOV_MAX = 1024  # buffers per sendmsg call (Linux's UIO_MAXIOV)
MAX_DEPTH = 250  # nesting of a returned value on the trusted side (the harness sends at most 200)


def send_msg(sock: socket.socket, obj: dict, segments: Sequence[bytes] = ()) -> None:
    """Send `obj` as one JSON frame, then `segments` (their lengths go in obj["segments"])."""
    if segments:
        obj = {**obj, "segments": [len(seg) for seg in segments]}
    data = json.dumps(obj, separators=(",", ":")).encode()
    views = [memoryview(_HDR.pack(len(data)) + data), *(memoryview(seg) for seg in segments if len(seg))]
    k = 0
    while k < len(views):
        sent = sock.sendmsg(views[k:k + _IOV_MAX])
        while sent:  # drop what went out; a partly sent buffer keeps its rest
            n = views[k].nbytes
            if sent >= n:
                sent -= n
                k += 1
            else:
                views[k] = views[k][sent:]
                sent = 0


def _exact(sock: socket.socket, n: int) -> bytearray:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], min(n - got, 1 << 20))
        if not k:
            raise ConnectionError("connection closed mid-message")
        got += k
    return buf


def recv_frame(sock: socket.socket) -> bytearray:
    (n,) = _HDR.unpack(_exact(sock, _HDR.size))
    return _exact(sock, n)


def recv_msg(sock: socket.socket) -> object:
    """One JSON frame (a message without segments)."""
    return json.loads(recv_frame(sock))


def recv_segments(sock: socket.socket, lengths: object, max_count: int) -> list[bytes]:
    """The segments that follow a message whose "segments" field is `lengths`: at most
    `max_count`, read in one go. Raises ValueError on a malformed list."""
    if type(lengths) is not list or len(lengths) > max_count or not all(type(n) is int and n >= 0 for n in lengths):
        raise ValueError("bad segment lengths")
    data = memoryview(_exact(sock, sum(lengths)))
    segments, at = [], 0
    for n in lengths:
        segments.append(bytes(data[at:at + n]))
        at += n
    return segments


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
