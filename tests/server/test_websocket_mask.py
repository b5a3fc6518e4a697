"""The fast WebSocket unmasking gives byte for byte what the installed eventlet's own does, and
eventlet's own frame reader, patched, reads masked frames right however the socket splits them."""
import os
import struct

import pytest

from server import websocket_mask
from server.websocket_mask import apply_mask

websocket = pytest.importorskip("eventlet.websocket")


@pytest.mark.parametrize("length", [None, 0, 1, 3, 4, 5, 1001])
@pytest.mark.parametrize("offset", [0, 1, 2, 3, 6])
def test_same_bytes_as_the_installed_eventlet(length, offset):
    eventlet_own = websocket_mask.eventlet_apply_mask()
    assert eventlet_own is not apply_mask
    data, mask = os.urandom(1001), os.urandom(4)
    expected = eventlet_own(data, mask, length, offset)
    assert apply_mask(data, mask, length, offset) == expected
    assert apply_mask(bytearray(data), mask, length, offset) == expected
    assert apply_mask(data, tuple(mask), length, offset) == expected  # eventlet's reader passes a tuple


class ChunkedSocket:
    """A socket whose recv hands out at most `chunk` bytes at a time, as a network does."""

    def __init__(self, data, chunk):
        self.data, self.chunk = data, chunk

    def recv(self, n):
        out, self.data = self.data[:min(n, self.chunk)], self.data[min(n, self.chunk):]
        return out


def masked_frame(payload, mask, opcode=2):
    """One final client frame (RFC 6455 section 5.2), masked with eventlet's own function."""
    n = len(payload)
    length = struct.pack("!B", 0x80 | n) if n < 126 else (
        struct.pack("!BH", 0x80 | 126, n) if n < 65536 else struct.pack("!BQ", 0x80 | 127, n))
    return bytes([0x80 | opcode]) + length + mask + websocket_mask.eventlet_apply_mask()(payload, mask)


@pytest.mark.parametrize("chunk", [1, 7, 4096, 1 << 20])
def test_eventlet_reads_masked_frames_with_the_patch_installed(chunk):
    websocket_mask.install()
    websocket_mask.install()  # idempotent: eventlet's own is still known
    assert websocket.RFC6455WebSocket._apply_mask is apply_mask
    assert websocket_mask.eventlet_apply_mask() is not apply_mask
    binary, text = os.urandom(70_001), "happy, 83% \N{GRINNING FACE}"
    wire = masked_frame(binary, os.urandom(4)) + masked_frame(text.encode(), os.urandom(4), opcode=1)
    server_side = websocket.RFC6455WebSocket(ChunkedSocket(wire, chunk), {})
    assert server_side.wait() == binary
    assert server_side.wait() == text
