"""bench.smoothing: the Python side hands sequences to the page's smoothing module in Node and
scores what comes back; the pairing and the jitter keep what the benchmark claims."""
import shutil

import numpy as np
import pytest

from bench.smoothing import jittered_frames, pairs_with_different_labels, score, smooth_in_node
from tests.support.videos import write_avi

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed")


@needs_node
def test_node_runs_the_pages_smoother_over_each_sequence():
    # one noisy frame (frame 2) in a face that is otherwise clearly label 0
    p = np.array([[[0.8, 0.2], [0.7, 0.3], [0.3, 0.7], [0.8, 0.2]]])
    shown = smooth_in_node(["a", "b"], p, dt_ms=100, half_lives=(0, 100, 1000))
    assert shown[0].tolist() == [[0, 0, 1, 0]]  # off: the raw argmax, the flip shows
    assert shown[100].tolist() == [[0, 0, 0, 0]]  # 0.5 * 0.7 + 0.5 * 0.3 = 0.5 keeps label a
    assert shown[1000].tolist() == [[0, 0, 0, 0]]


def test_score_counts_flips_within_a_face_and_the_lag_after_a_change():
    frames = 4
    truth = np.array([[0] * frames + [1] * frames])
    raw = np.array([[0, 1, 0, 0, 1, 1, 1, 1]])      # one flip and back in the first face
    smooth = np.array([[0, 0, 0, 0, 0, 0, 1, 1]])   # steady, but two frames late after the change
    accuracy, _, flips, lag, n = score(smooth, truth, raw, frames, dt_ms=100)
    assert (accuracy, flips, lag, n) == (6 / 8, 0.0, 200.0, 1)
    _, _, raw_flips, raw_lag, _ = score(raw, truth, raw, frames, dt_ms=100)
    assert raw_flips == pytest.approx(2 / 3 * 10) and raw_lag == 0.0  # flips: 2 of the first face's 3 steps


def test_pairs_have_different_labels_and_use_each_face_once():
    labels = np.array([0, 0, 0, 1, 2, 3, 3, 4])
    pairs = pairs_with_different_labels(labels, np.random.default_rng(0))
    used = [k for pair in pairs for k in pair]
    assert len(used) == len(set(used)) and len(pairs) >= 3
    assert all(labels[i] != labels[j] for i, j in pairs)


def test_jittered_frames_differ_but_stay_close_to_the_face():
    face = np.random.default_rng(1).integers(0, 256, (48, 48)).astype(np.uint8)
    face = np.asarray(__import__("cv2").GaussianBlur(face, (0, 0), 3))
    frames = jittered_frames(face, 5, np.random.default_rng(0))
    assert frames.shape == (5, 48, 48) and frames.dtype == np.uint8
    assert len({f.tobytes() for f in frames}) == 5
    assert all(np.abs(f.astype(int) - face).mean() < 12 for f in frames)


@pytest.mark.real_model
def test_a_recorded_video_is_labelled_at_the_asked_rate_as_the_server_labels_it(tmp_path):
    from tests.support import scenes
    from bench.smoothing import recorded_probabilities
    from tests.conftest import DEFAULT_MODEL_DIR

    frame, [(expected, _)] = scenes.one_face_scene()
    video = write_avi(tmp_path / "astronaut.avi", [frame] * 6)
    labels, probabilities, fps = recorded_probabilities(video, DEFAULT_MODEL_DIR, fps=10)
    assert fps == 10 and probabilities.shape == (2, len(labels))  # every third of 6 frames at 30 fps
    np.testing.assert_allclose(probabilities.sum(1), 1, atol=1e-3)
    assert [labels[k] for k in probabilities.argmax(1)] == [expected, expected]


def test_a_recorded_video_without_a_face_is_an_error(tmp_path):
    from tests.support import scenes
    from bench.smoothing import recorded_probabilities
    from tests.conftest import DEFAULT_MODEL_DIR

    video = write_avi(tmp_path / "empty.avi", [scenes.blank()] * 3)
    with pytest.raises(ValueError, match="empty.avi: the detector found no face"):
        recorded_probabilities(video, DEFAULT_MODEL_DIR, fps=10)
