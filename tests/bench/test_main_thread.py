"""bench.main_thread: a page's main-thread time up to a mark, from a Chromium trace."""
import json

from bench.main_thread import MARK, busy_until


def task(ts_ms, dur_ms, pid=1, tid=1):
    return {"name": "RunTask", "ph": "X", "cat": "disabled-by-default-devtools.timeline", "pid": pid, "tid": tid,
            "ts": 1_000_000 + ts_ms * 1000, "dur": dur_ms * 1000}


def layout(ts_ms, dur_ms, name="Layout", tid=1):
    return {"name": name, "ph": "X", "cat": "devtools.timeline", "pid": 1, "tid": tid,
            "ts": 1_000_000 + ts_ms * 1000, "dur": dur_ms * 1000}


def mark(at_ms, pid=1, tid=1):
    return {"name": MARK, "ph": "I", "cat": "blink.user_timing", "pid": pid, "tid": tid,
            "ts": 1_000_000 + at_ms * 1000, "args": {"data": {"startTime": at_ms}}}


def test_busy_time_is_the_union_of_the_marking_threads_tasks_from_navigation_to_the_mark(tmp_path):
    events = [
        task(-20, 30),           # began before navigation: only its last 10 ms count
        task(100, 60),           # a long task
        task(120, 10),           # nested inside it: not counted twice
        task(200, 5, tid=2),     # another thread
        task(300, 5, pid=2),     # another process (the page before its cross-origin swap)
        task(480, 40),           # runs past the mark: its first 20 ms count
        layout(105, 8, "UpdateLayoutTree"),  # style, then layout, inside the long task
        layout(113, 12),
        layout(200, 5, tid=2),   # another thread's
        layout(490, 30),         # past the mark: its first 10 ms count
        mark(500),
    ]
    path = tmp_path / "trace.json"
    path.write_text(json.dumps({"traceEvents": events}))
    assert busy_until(path) == {"busy_ms": 10 + 60 + 20, "span_ms": 500, "long_tasks_ms": 60, "layout_ms": 8 + 12 + 10}


def test_no_mark_no_figure(tmp_path):
    path = tmp_path / "trace.json"
    path.write_text(json.dumps([task(0, 10)]))  # Chromium also writes a bare list of events
    assert busy_until(path) is None
