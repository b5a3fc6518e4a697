"""How long a page's main thread was busy up to a moment (for bench.peers --trace: up to its first
labelled face), from a Chromium trace that Playwright recorded (browser.start_tracing with
CATEGORIES).

A page that keeps its main thread busy from navigation to its first label can only get there
sooner by doing less on that thread; one that leaves it idle is waiting (for the network, the
camera), and starting things sooner helps it instead.
"""
import json
from pathlib import Path

# RunTask (each task of a thread's event loop), style and layout (UpdateLayoutTree, Layout) and the
# page's User Timing marks.
CATEGORIES = ["disabled-by-default-devtools.timeline", "devtools.timeline", "blink.user_timing"]
LAYOUT = {"UpdateLayoutTree", "Layout"}  # the browser's style recalculation and layout
MARK = "bench:until"
LONG_TASK_MS = 50  # the Long Tasks API's threshold: a task this long delays input


def mark_script(at_ms):
    """The JavaScript that marks `at_ms` (ms from navigation start) in the page, for busy_until()."""
    return f"performance.mark({json.dumps(MARK)}, {{ startTime: {float(at_ms)} }})"


def busy_until(trace_path, mark=MARK):
    """{busy_ms, span_ms, long_tasks_ms, layout_ms} on the thread that made `mark`, from its
    navigation start to the mark: busy_ms is the union of its tasks' time, long_tasks_ms the time in
    tasks of LONG_TASK_MS or more, layout_ms the time in style recalculation and layout (a font
    searched for a character, a large page). None when the trace has no such mark."""
    trace = json.loads(Path(trace_path).read_text())
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    marks = [e for e in events if e.get("name") == mark and e.get("cat") == "blink.user_timing"]
    if not marks:
        return None
    m = marks[-1]
    end = m["ts"]
    start = end - m["args"]["data"]["startTime"] * 1000  # trace µs of the page's time origin

    def spans(names):
        return sorted((e["ts"], e["ts"] + e.get("dur", 0)) for e in events
                      if e.get("name") in names and e.get("ph") == "X"
                      and (e["pid"], e["tid"]) == (m["pid"], m["tid"]) and e["ts"] < end
                      and e["ts"] + e.get("dur", 0) > start)

    def union(intervals, long_from=None):
        """µs covered by `intervals` (nested ones count once), and of that in top-level ones of at least long_from µs."""
        covered = long = 0.0
        reach = start
        for a, b in intervals:
            a, b = max(a, start), min(b, end)
            if long_from is not None and a >= reach and b - a >= long_from:  # a top-level task
                long += b - a
            if b > reach:
                covered += b - max(a, reach)
                reach = b
        return covered, long

    busy, long = union(spans({"RunTask"}), LONG_TASK_MS * 1000)
    layout, _ = union(spans(LAYOUT))
    return {"busy_ms": busy / 1000, "span_ms": (end - start) / 1000, "long_tasks_ms": long / 1000,
            "layout_ms": layout / 1000}
