"""server.tracking: face numbers from box overlap, and smoothing that shows the labels the page's
own smoothing module (static/js/smoothing.js, run in Node) shows for the same probabilities."""
import shutil

import numpy as np
import pytest

from bench.smoothing import smooth_in_node
from server.tracking import FaceTracker

LABELS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


def face(box, probs=None):
    probs = np.full(len(LABELS), 1 / len(LABELS)) if probs is None else probs
    best = int(np.argmax(probs))
    return {"box": list(box), "label": LABELS[best], "confidence": float(probs[best]),
            "probabilities": dict(zip(LABELS, map(float, probs)))}


def numbers(tracker, boxes, t):
    return [n for n, _ in tracker.update([face(b) for b in boxes], t)]


def test_faces_keep_their_numbers_while_in_view_and_new_faces_get_the_next():
    tracker = FaceTracker(LABELS, keep_ms=100)
    assert numbers(tracker, [(0, 0, 50, 50), (200, 0, 50, 50)], 0) == [1, 2]
    assert numbers(tracker, [(205, 2, 50, 50), (4, 0, 50, 50)], 33) == [2, 1]  # order given, numbers kept
    assert numbers(tracker, [(6, 0, 50, 50)], 67) == [1]                       # face 2 missed...
    assert numbers(tracker, [(8, 0, 50, 50), (207, 0, 50, 50)], 100) == [1, 2]  # ...back within keep_ms
    assert numbers(tracker, [(10, 0, 50, 50)], 133) == [1]
    assert numbers(tracker, [(12, 0, 50, 50)], 167) == [1]
    assert numbers(tracker, [(12, 0, 50, 50), (207, 0, 50, 50)], 300) == [1, 3]  # gone too long: a new face
    assert numbers(tracker, [(400, 300, 50, 50)], 333) == [4]                  # no overlap: another new face


def test_sparse_sampling_keeps_numbers_from_one_analysed_frame_to_the_next():
    tracker = FaceTracker(LABELS, keep_ms=1000)
    assert [numbers(tracker, [(10 * k, 0, 80, 80)], 2000 * k) for k in range(4)] == [[1]] * 4  # one frame every 2 s


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed")
@pytest.mark.parametrize("half_life_ms", [0, 100, 300])
def test_smoothing_shows_the_labels_the_pages_smoothing_shows(half_life_ms):
    rng = np.random.default_rng(7)
    sequences = np.round(rng.dirichlet(np.full(len(LABELS), 0.6), size=(6, 25)), 5)  # 6 faces, 25 frames, noisy
    dt_ms = 40
    page = smooth_in_node(LABELS, sequences, dt_ms=dt_ms, half_lives=[half_life_ms])[half_life_ms]
    for sequence, shown in zip(sequences, page):
        tracker = FaceTracker(LABELS, half_life_ms=half_life_ms)
        ours = [LABELS.index(tracker.update([face((100, 100, 120, 120), p)], f * dt_ms)[0][1]["label"])
                for f, p in enumerate(sequence)]
        assert ours == list(shown)
    if half_life_ms:
        raw = sequences.argmax(-1)
        assert (np.diff(page, axis=1) != 0).sum() < (np.diff(raw, axis=1) != 0).sum()  # it does steady the labels


def test_smoothing_forgets_a_face_missed_for_two_half_lives():
    tracker = FaceTracker(LABELS, half_life_ms=100, keep_ms=1000)
    happy, sad = np.eye(len(LABELS))[3], np.eye(len(LABELS))[4]
    tracker.update([face((0, 0, 50, 50), happy)], 0)
    (_, blended), = tracker.update([face((0, 0, 50, 50), sad)], 100)
    assert blended["probabilities"]["happy"] == pytest.approx(0.5)  # one half-life: half the old weight
    tracker.update([], 150)
    tracker.update([], 300)  # 200 ms, two half-lives, since face 1 was last seen: its history goes
    (number, fresh), = tracker.update([face((0, 0, 50, 50), happy)], 350)
    assert number == 1 and fresh["probabilities"]["happy"] == 1.0
