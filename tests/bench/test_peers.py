"""bench.peers' arithmetic and its static server's paths, without a browser."""
import gzip
import io
from pathlib import Path

import numpy as np
import pytest

from bench.peers import (PEER_PAGE, PeerHandler, against_table, busy_table, capacity_table, main_thread_seconds,
                         steps_table, summarize, tables)


def history(times, faces):
    return [{"t": t, "faces": n, "labelled": n} for t, n in zip(times, faces)]


def test_summarize_takes_the_median_gap_after_warm_up_and_the_first_labelled_face_from_the_start():
    # Warm-up (first 2 results) is slow and faceless; then 100 ms gaps with one 400 ms stall.
    row = summarize(history([500, 900, 1000, 1100, 1500, 1600, 1700], [0, 1, 1, 1, 2, 1, 1]), start=2)
    assert row["frame_ms"] == 100 and row["fps"] == pytest.approx(10.0)
    assert row["mean_fps"] == pytest.approx(1000 * 4 / 700)
    assert row["faces"] == 1 and row["frames"] == 5
    assert row["first_face_ms"] == 900


def test_summarize_gives_our_pages_own_time_a_frame_outside_analysis():
    # Results 100 ms apart, each after an analysis of 70 ms: the page spent 30 ms drawing and waiting.
    rows = [{"t": t, "faces": 1, "labelled": 1, "detect": 10, "classify": 60, "total": 70, "detected": False}
            for t in (0, 100, 200, 300)]
    row = summarize(rows, start=0)
    assert row["page_ms"] == 30 and row["detect_ms"] == 10 and row["classify_ms"] == 60


def test_summarize_gives_the_share_of_the_crowd_models_faces_that_were_rechecked():
    # Frames the page's own model labelled count for nothing; of the crowd model's 4 + 4 faces, 1 + 2 were rechecked.
    rows = [{"t": 0, "faces": 4, "labelled": 4, "model": None, "rechecked": 0},
            {"t": 100, "faces": 4, "labelled": 4, "model": "resnet_tiny", "rechecked": 1},
            {"t": 200, "faces": 4, "labelled": 4, "model": "resnet_tiny", "rechecked": 2}]
    assert summarize(rows, start=0)["rechecked_pct"] == pytest.approx(100 * 3 / 8)
    assert "rechecked_pct" not in summarize(history([0, 100], [4, 4]), start=0)  # a peer's page, or no crowd model


def test_summarize_says_none_when_no_face_is_ever_labelled():
    row = summarize(history([0, 50, 100], [0, 0, 0]), start=0)
    assert row["first_face_ms"] is None and row["faces"] == 0 and row["fps"] == pytest.approx(20.0)


def test_tables_give_medians_over_repeats_and_ratios_against_each_peer():
    rows = [{"scene": "one face", "page": page, "fps": fps, "faces": 1, "first_face_ms": first, "after_camera_ms": after}
            for page, fps, first, after in [("ours", 10, 1500, 50), ("ours", 12, 1700, 70), ("ours", 30, 1600, 60),
                                            ("ours resnet", 48, 900, 90), ("ours resnet", 48, 1100, 110),
                                            ("face-api tiny 224", 24, 1000, 200), ("face-api tiny 416", 6, 1100, 300),
                                            ("Human", 10, 800, None)]]
    fps_table, first_table, after_table = tables(rows, ["one face"]).split("\n\n")
    assert fps_table.splitlines()[-1] == "| one face | 12.0 (1) | 48.0 (1) | 24.0 (1) | 6.0 (1) | 10.0 (1) | 0.50 | 2.00 | 1.20 | 2.00 | 4.80 |"
    assert first_table.splitlines()[-1] == "| one face | 1600 | 1000 | 1000 | 1100 | 800 | 1.60 | 1.00 |"
    assert after_table.splitlines()[-1] == "| one face | 60 | 100 | 200 | 300 | - | 0.30 | 0.50 |"


def test_against_table_gives_ours_and_the_other_revisions_medians_and_their_ratios():
    rows = [{"scene": "one face", "page": page, "fps": fps, "busy_ms": ms, "first_face_ms": first}
            for page, fps, ms, first in [("ours", 60, 12, 450), ("ours", 50, 14, 500), ("ours", 40, 16, 550),
                                         ("ours at abc123", 50, 10, 600), ("ours at abc123", 50, 10, 500)]]
    rows.append({"scene": "one face", "page": "face-api tiny 224", "fps": 20, "busy_ms": 50, "first_face_ms": 10})
    table = against_table(rows, ["one face"], "ours at abc123").splitlines()
    assert table[0].startswith("| scene | fps: ours / ours at abc123 / ratio |")
    assert table[2] == "| one face | 50.0 / 50.0 / 1.00 | 14.0 / 10.0 / 1.40 | 500 / 550 / 0.91 | - / - / - |"


def test_capacity_table_gives_main_thread_ms_per_result_and_ours_against_each_peer_as_results_per_second():
    rows = [{"scene": "four faces", "page": page, "busy_ms": ms}
            for page, ms in [("ours", 10), ("ours", 12), ("ours", 30), ("face-api tiny 224", 18), ("Human", 48)]]
    rows.append({"scene": "four faces", "page": "face-api tiny 416"})  # no figure: left out
    table = capacity_table(rows, ["four faces"]).splitlines()
    assert table[0] == "| scene | ours ms | face-api tiny 224 ms | Human ms | ours/face-api tiny 224 | ours/Human |"
    assert table[2] == "| four faces | 12.0 | 18.0 | 48.0 | 1.50 | 4.00 |"  # 12 ms a result: 1.5 times 18 ms's rate


def test_main_thread_seconds_reads_devtools_task_duration():
    class Session:
        def send(self, method):
            assert method == "Performance.getMetrics"
            return {"metrics": [{"name": "ScriptDuration", "value": 0.5}, {"name": "TaskDuration", "value": 1.25}]}
    assert main_thread_seconds(Session()) == 1.25


def test_steps_table_gives_our_pages_start_as_medians_and_a_dash_for_a_step_it_skipped():
    steps = [{"camera-asked": 120, "tfjs-loaded": 300, "models-loaded": 400, "camera-open": 380, "first-result": 450},
             {"camera-asked": 140, "tfjs-loaded": 340, "models-loaded": 420, "warmed-up": 500, "camera-open": 510, "first-result": 560},
             {"camera-asked": 130, "tfjs-loaded": 320, "models-loaded": 460, "camera-open": 420, "first-result": 520}]
    rows = [{"scene": "one face", "page": "ours", "steps": s} for s in steps]
    rows.append({"scene": "one face", "page": "Human", "steps": {}})
    rows.append({"scene": "one face", "page": "ours resnet", "steps": {"tfjs-loaded": 310, "first-result": 480}})
    table = steps_table(rows, ["one face", "four faces"])
    assert table.splitlines()[0] == ("| scene | page | camera asked | code arrived | TF.js arrived | TF.js loaded"
                                     " | models loaded | warmed up | camera open | first result |")
    assert table.splitlines()[2:] == ["| one face | ours | 130 | - | - | 320 | 420 | 500 | 420 | 520 |",
                                      "| one face | ours resnet | - | - | - | 310 | - | - | - | 480 |",
                                      "| four faces | ours | - | - | - | - | - | - | - | - |"]


def test_a_page_that_failed_everywhere_is_a_dash_not_a_crash():
    rows = [{"scene": "one face", "page": "ours", "fps": 10, "faces": 1, "first_face_ms": 1500},
            {"scene": "one face", "page": "Human", "error": "did not start"}]
    assert "| - (-) |" in tables(rows, ["one face"])


def test_the_static_server_maps_the_page_and_node_modules_and_nothing_outside(tmp_path):
    handler = type("Handler", (PeerHandler,), {"modules": tmp_path})
    translate = lambda path: Path(PeerHandler.translate_path(handler.__new__(handler), path))  # noqa: E731
    assert translate("/index.html?lib=human") == PEER_PAGE / "index.html"
    assert translate("/node_modules/@vladmandic/human/models/emotion.json") == \
        tmp_path / "@vladmandic/human/models/emotion.json"
    assert translate("/node_modules/../../../etc/passwd").parent == tmp_path
    assert PEER_PAGE.resolve() in translate("/../../server/app.py").parents


class OneRequest:
    """A connection that carries one raw HTTP request to a handler and keeps its raw answer: the
    handler runs here, with no server thread (the test session may have eventlet's green threads)."""

    def __init__(self, path, encoding):
        self.request = f"GET {path} HTTP/1.1\r\nHost: test\r\nAccept-Encoding: {encoding}\r\n\r\n".encode()
        self.answer = io.BytesIO()

    def makefile(self, mode, *args, **kwargs):
        return io.BytesIO(self.request) if "r" in mode else self.answer

    def sendall(self, data):
        self.answer.write(data)

    def response(self):
        """(status, {header: value}, body) of the answer."""
        head, _, body = self.answer.getvalue().partition(b"\r\n\r\n")
        status, *lines = head.decode("latin-1").split("\r\n")
        return int(status.split()[1]), dict(line.split(": ", 1) for line in lines), body


def test_the_static_server_compresses_what_ours_compresses(tmp_path):
    """Scripts and WebAssembly go out brotli- or gzip-compressed as the browser asks (as our server
    sends them), weight files as they are, each with the isolation headers."""
    import brotli

    script = b"export const x = 1;\n" * 2000
    weights = bytes(range(256)) * 40
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "a.js").write_bytes(script)
    (tmp_path / "lib" / "w.bin").write_bytes(weights)
    handler = type("Handler", (PeerHandler,), {"modules": tmp_path})

    def get(path, encoding):
        connection = OneRequest(path, encoding)
        handler(connection, ("127.0.0.1", 0), None)
        return connection.response()

    status, headers, body = get("/node_modules/lib/a.js", "gzip, deflate, br")
    assert status == 200 and headers["Content-Encoding"] == "br" and brotli.decompress(body) == script
    assert headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    status, headers, body = get("/node_modules/lib/a.js", "gzip")
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body) == script
    assert int(headers["Content-Length"]) == len(body) < len(script) / 10
    status, headers, body = get("/node_modules/lib/a.js", "identity")
    assert "Content-Encoding" not in headers and body == script
    status, headers, body = get("/node_modules/lib/w.bin", "gzip, br")
    assert "Content-Encoding" not in headers and body == weights
    assert headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    assert get("/node_modules/lib/missing.js", "gzip")[0] == 404


def test_busy_table_gives_each_traced_pages_median_share_of_main_thread_time():
    rows = [{"scene": "one face", "page": page, "busy_ms_to_first": busy, "span_ms_to_first": span,
             "long_tasks_ms_to_first": long, "layout_ms_to_first": layout}
            for page, busy, span, long, layout in [("ours", 400, 500, 100, 20), ("ours", 600, 800, 300, 60),
                                                   ("ours", 500, 600, 200, 40), ("face-api tiny 224", 300, 450, 100, 9)]]
    rows.append({"scene": "one face", "page": "Human"})  # not traced: no column
    lines = busy_table(rows, ["one face"]).splitlines()
    assert lines[0] == "| scene | ours | face-api tiny 224 |"
    assert lines[2] == "| one face | 500 of 600 (83%), long 200, layout 40 | 300 of 450 (67%), long 100, layout 9 |"


def test_the_unsure_scenes_faces_are_ones_the_crowd_model_is_unsure_of(fer2013):
    """bench.peers' "four unsure faces": FER2013 faces whose top probability from the crowd model
    is below the bar, so that our page classifies them again; some faces of the split are sure."""
    from bench.browser import UNSURE_BELOW
    from tests.conftest import CROWD_MODEL_DIR
    from tests.support.scenes import reference_probabilities, unsure_faces

    split = fer2013["PrivateTest"]
    faces = unsure_faces(split, CROWD_MODEL_DIR, UNSURE_BELOW, per_label=5)
    assert [label for label, _ in faces] == ["happy"] * 5 + ["surprise"] * 5
    assert reference_probabilities(CROWD_MODEL_DIR, np.stack([face for _, face in faces])).max(1).max() < UNSURE_BELOW
    assert reference_probabilities(CROWD_MODEL_DIR, split.x[:50]).max(1).max() >= UNSURE_BELOW
