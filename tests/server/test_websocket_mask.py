"""The fast WebSocket unmasking gives byte-for-byte what eventlet's own does, much faster."""
import os
import time

import pytest

from server.websocket_mask import apply_mask

websocket = pytest.importorskip("eventlet.websocket")


def eventlet_apply_mask(data, mask, length=None, offset=0):
    """eventlet 0.41's implementation, copied: the reference for correctness."""
    if length is None:
        length = len(data)
    cnt = range(length)
    return b''.join(bytes((data[i] ^ mask[(offset + i) % 4],)) for i in cnt)


@pytest.mark.parametrize("length", [None, 0, 1, 3, 4, 5, 1001])
@pytest.mark.parametrize("offset", [0, 1, 2, 3, 6])
def test_same_bytes_as_eventlet(length, offset):
    data, mask = os.urandom(1001), os.urandom(4)
    assert apply_mask(data, mask, length, offset) == eventlet_apply_mask(data, mask, length, offset)
    assert apply_mask(bytearray(data), mask, length, offset) == eventlet_apply_mask(data, mask, length, offset)


def test_a_2mb_frame_is_unmasked_in_milliseconds():
    data, mask = os.urandom(2 * 1024 * 1024), os.urandom(4)
    start = time.perf_counter()
    apply_mask(data, mask)
    assert time.perf_counter() - start < 0.25  # eventlet's own takes seconds for this


def test_install_patches_eventlet():
    from server.websocket_mask import install
    install()
    assert websocket.RFC6455WebSocket._apply_mask is apply_mask
