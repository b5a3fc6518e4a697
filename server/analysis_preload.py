"""Imported once by the process that forks `python -m server.analyze`'s workers (multiprocessing's
forkserver): it loads the TFLite runtime, keeping TensorFlow's start-up chatter off the terminal,
so that each worker forked from it starts warm instead of importing TensorFlow anew (seconds of CPU
each). The forkserver never runs OpenCV or a model, so nothing it forks holds a half-used thread pool."""
import os

from server.analysis_media import NativeStderr

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_quiet = NativeStderr()
try:
    with _quiet:
        try:
            import ai_edge_litert.interpreter  # noqa: F401  the light runtime, when installed
        except ImportError:
            import tensorflow  # noqa: F401
finally:
    _quiet.close()
