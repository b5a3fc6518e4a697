"""converters/face_detector.py: the server's BlazeFace rebuilt for TF.js computes what LiteRT computes."""
import json

import numpy as np
import pytest

from converters import face_detector
from server.detectors.blazeface import PACKAGE_DIR, VARIANTS

pytestmark = pytest.mark.skipif(not (PACKAGE_DIR / VARIANTS["short"]["file"]).exists(),
                                reason="@mediapipe/face_detection is not installed (npm ci)")


@pytest.fixture(scope="module")
def short_range(tmp_path_factory):
    root = tmp_path_factory.mktemp("detectors")
    return face_detector.export("short", root)


@pytest.mark.slow
def test_the_export_carries_what_the_page_needs(short_range):
    manifest = json.loads(short_range.read_text())
    assert manifest["kind"] == "face_detector" and manifest["name"] == "blazeface"
    assert manifest["input"]["size"] == VARIANTS["short"]["size"] and manifest["min_score"] == VARIANTS["short"]["min_score"]
    model_json = short_range.parent / manifest["formats"]["tfjs"]["path"]
    assert set(json.loads(model_json.read_text())["signature"]["outputs"]) == {"scores", "boxes"}
    assert set(manifest["files"]) == {str(p.relative_to(short_range.parent)) for p in model_json.parent.iterdir()}


@pytest.mark.slow
def test_tfjs_and_litert_agree_and_a_difference_is_caught(short_range):
    manifest = json.loads(short_range.read_text())
    model_json = short_range.parent / manifest["formats"]["tfjs"]["path"]
    squares = face_detector.sample_squares(128)
    expected = face_detector.reference_outputs(PACKAGE_DIR, "short", squares)
    face_detector.check_tfjs(model_json, squares, expected)  # the export ran this too; it passes
    scores, boxes, eyes = expected[0]
    shifted = [(scores, boxes + np.float32(0.01), eyes)] + expected[1:]  # a box 1% of the frame off
    with pytest.raises(RuntimeError, match="differs from LiteRT"):
        face_detector.check_tfjs(model_json, squares, shifted)
    shifted = [(scores, boxes, eyes + np.float32(0.01))] + expected[1:]  # eyes 1% of the frame off
    with pytest.raises(RuntimeError, match="0.01 in eyes"):
        face_detector.check_tfjs(model_json, squares, shifted)
