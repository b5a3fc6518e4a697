"""Where `python -m server.analyze` runs the server's Engine: in its own process (one worker), or
in K worker processes, each a Python interpreter with its own Engine, so that K cores analyse
frames at once (the TFLite interpreters and the detector hold the GIL for much of their work).

Frames go to the workers as arrays and results come back in submission order (the caller keeps
the futures in order), so tracking and writing stay sequential and deterministic.
"""
import concurrent.futures
import multiprocessing
import os

from server.analysis_media import NativeStderr

ENGINE = None  # in a worker process: its Engine


class WorkerError(Exception):
    """The engine could not start in a worker."""


def build_engine(settings):
    """The server's Engine with the server's settings; TensorFlow's start-up chatter on fd 2 is
    kept out of the progress bar, and shown only if the engine fails to start."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from server.pipeline import Engine  # imports TensorFlow's runtime: not in the parent of a pool

    log = NativeStderr()
    try:
        with log:
            return Engine(settings["MODEL_DIR"], tflite=settings["TFLITE"], detector=settings["DETECTOR"],
                          min_face=settings["MIN_FACE"])
    except Exception as error:
        raise WorkerError(f"{error}\n{log.text()[-2000:]}".strip()) from None
    finally:
        log.close()


def _start_worker(settings):
    import cv2

    cv2.setNumThreads(1)  # one core per worker: OpenCV's own threads would compete with the other workers
    global ENGINE
    ENGINE = build_engine(settings)


def _analyse(rgb, detect):
    return ENGINE.analyse_rgb(rgb, detect)


class Done:
    """A result already computed, with a Future's `result()`."""

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class InlineRunner:
    workers = 1

    def __init__(self, settings):
        self.engine = build_engine(settings)

    def submit(self, rgb, detect):
        return Done(self.engine.analyse_rgb(rgb, detect))

    def close(self, cancel=False):
        pass


class PoolRunner:
    def __init__(self, settings, workers):
        self.workers = workers
        # Workers fork from a fresh server process that has imported the runtime once
        # (server.analysis_preload). Not forked from this process: after OpenCV has run here, its
        # thread pool would be copied half-alive and a worker could hang in its first cv2 call.
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload(["server.analysis_preload"])
        self.pool = concurrent.futures.ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(settings,))

    def submit(self, rgb, detect):
        return self.pool.submit(_analyse, rgb, detect)

    def close(self, cancel=False):
        self.pool.shutdown(wait=True, cancel_futures=cancel)


def make_runner(settings, workers):
    return InlineRunner(settings) if workers <= 1 else PoolRunner(settings, workers)
