"""Running CPU-bound work (decode, detect, classify) without stalling the event loop.

Under eventlet every client shares one OS thread; a 30 ms TFLite call made there would freeze all
other sockets for 30 ms. So under eventlet the work goes to eventlet's pool of real OS threads
(`tpool`), and the models it touches are guarded by real OS locks: after monkey-patching,
`threading.Lock` is a green lock that must not be taken from a tpool thread.
"""
import sys
import threading


def _eventlet_patched() -> bool:
    if "eventlet" not in sys.modules:
        return False
    from eventlet import patcher
    return patcher.is_monkey_patched("thread")


def os_lock():
    """A lock that is a real OS lock even when eventlet has monkey-patched `threading`: for code
    that runs in tpool threads. Code that runs on the event loop uses `threading.Lock` (green)."""
    if _eventlet_patched():
        from eventlet import patcher
        return patcher.original("_thread").allocate_lock()
    return threading.Lock()


def run_blocking(async_mode: str, fn, *args, **kwargs):
    """Call `fn` off the event loop when the server runs on eventlet, else call it directly."""
    if async_mode == "eventlet":
        from eventlet import tpool
        return tpool.execute(fn, *args, **kwargs)
    return fn(*args, **kwargs)
