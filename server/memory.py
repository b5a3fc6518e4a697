"""How the server's process holds its memory: frame buffers kept for the next frame, and the objects
made at start-up kept out of the garbage collector's full passes.

glibc serves each allocation above its mmap threshold (128 kB to start with) with fresh pages from
the kernel and returns them on free, so the buffers of every 640x480 frame (the decoded image, its
array, the letterbox) page-fault anew each time: 1.5 to 2 of the 7 ms a frame takes on one core.
Above a frame's size (4 MiB) allocations still come straight from the kernel and go back, so a
large upload's memory is not kept; below it, up to `trim_threshold` of freed memory per heap stays
mapped for reuse.
"""
import ctypes
import ctypes.util
import gc

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, from glibc's malloc.h
MMAP_THRESHOLD = 4 << 20
TRIM_THRESHOLD = 16 << 20


def reuse_frame_buffers(mmap_threshold=MMAP_THRESHOLD, trim_threshold=TRIM_THRESHOLD) -> bool:
    """Tune glibc's allocator for this process; False where the C library is not glibc (nothing changes)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold)) and bool(mallopt(M_TRIM_THRESHOLD, trim_threshold))


def freeze_startup_objects() -> None:
    """Move every object alive now (the app, its models, TensorFlow's and Flask's modules: 77,000
    containers once the app is built) out of reach of the garbage collector's full passes, which
    otherwise walk them all:
    60-70 ms during which no client is answered, every time a burst of new connections (1,100
    half-sent requests, say) fills the youngest generations. Call once the app is built, before serving."""
    gc.collect()
    gc.freeze()
