"""server.memory tunes glibc's allocator where there is one, and changes nothing elsewhere."""
import platform

import pytest

from server.memory import reuse_frame_buffers


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_glibc_takes_the_thresholds():
    assert reuse_frame_buffers() is True

