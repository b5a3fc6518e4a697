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


def size_thread_pool(async_mode: str, threads: int) -> None:
    """Under eventlet, run blocking work on `threads` OS threads. Set before the first call to
    `run_blocking`: eventlet starts its pool then, and keeps its size."""
    if async_mode == "eventlet":
        from eventlet import tpool
        if tpool._setup_already and tpool._nthreads != threads:
            raise RuntimeError(f"eventlet's thread pool already runs {tpool._nthreads} threads; expected to size it first")
        tpool.set_num_threads(threads)


def waiting_room(async_mode: str, places: int):
    """A semaphore for code on the event loop: its waiters wait as green threads under eventlet."""
    if async_mode == "eventlet":
        from eventlet.semaphore import BoundedSemaphore
        return BoundedSemaphore(places)
    return threading.BoundedSemaphore(places)


def run_blocking(async_mode: str, fn, *args, **kwargs):
    """Call `fn` off the event loop when the server runs on eventlet, else call it directly."""
    if async_mode == "eventlet":
        from eventlet import tpool
        return tpool.execute(fn, *args, **kwargs)
    return fn(*args, **kwargs)
