"""FER2013 faces placed in 640x480 frames, sent to the live Haar server (the detector that finds
these tight, upscaled crops best, per bench.detectors): boxes land on the faces, labels match."""
import json
import math
from collections import Counter

import pytest

from tests.server.test_live import connect, serve_one
from tests.support.face_frames import fer_frames, match
from tests.support.images import encode
from tests.support.live_server import ROOT

N_FRAMES = 20  # x 3 faces; about a second per frame for Haar on a busy 2-core machine


@pytest.fixture(scope="module")
def served(live_servers, fer_split):
    """[(frame, result)] for synthetic frames of PrivateTest faces, served one at a time."""
    frames = fer_frames(fer_split, n_frames=N_FRAMES, seed=1)
    client = connect(live_servers["haar"].wait())
    try:
        pairs = []
        for i, frame in enumerate(frames):
            event, result = serve_one(client, i, encode(frame.rgb, ".jpg", quality=90))
            assert event == "result" and result["id"] == i, (event, result)
            pairs.append((frame, result))
        return pairs
    finally:
        client.disconnect()


def matched_faces(served):
    """[(true label index, predicted face dict)] for every true face a detection matched."""
    pairs = []
    for frame, result in served:
        matched, _ = match(frame.boxes, [f["box"] for f in result["faces"]])
        pairs += [(frame.labels[i], result["faces"][j]) for i, j in matched.items()]
    return pairs


def test_boxes_land_on_the_pasted_faces(served):
    truth = sum(len(frame.boxes) for frame, _ in served)
    found = len(matched_faces(served))
    false_positives = sum(len(match(frame.boxes, [f["box"] for f in r["faces"]])[1]) for frame, r in served)
    # bench.detectors measures Haar at ~0.63 recall and ~0.15 false positives per frame on these
    assert found / truth >= 0.5, f"expected at least half of {truth} faces found, got {found}"
    assert false_positives <= 0.3 * len(served), f"expected few false positives, got {false_positives} in {len(served)} frames"


@pytest.mark.real_model
def test_faces_get_their_labels_as_often_as_the_model_accuracy_implies(served):
    """REAL MODEL: label accuracy on detected faces is within two standard errors of the model's
    PrivateTest accuracy, and beats always answering the commonest label."""
    manifest = json.loads((ROOT / "models" / "resnet_slim" / "manifest.json").read_text())
    labels = manifest["labels"]
    model_accuracy = manifest["metrics"]["PrivateTest"]["accuracy"]
    pairs = matched_faces(served)
    n = len(pairs)
    correct = sum(labels[truth] == face["label"] for truth, face in pairs)
    accuracy = correct / n
    commonest = Counter(truth for truth, _ in pairs).most_common(1)[0][1] / n
    floor = model_accuracy - 2 * math.sqrt(model_accuracy * (1 - model_accuracy) / n)
    print(f"\nFER2013 faces in frames: {correct}/{n} = {accuracy:.2f} correct; model PrivateTest "
          f"{model_accuracy:.2f}, floor {floor:.2f}; commonest label share {commonest:.2f}")
    assert accuracy >= floor, f"expected accuracy >= {floor:.2f} (model {model_accuracy:.2f}, n={n}), got {accuracy:.2f}"
    assert accuracy > commonest, f"expected better than always guessing the commonest label ({commonest:.2f}), got {accuracy:.2f}"
