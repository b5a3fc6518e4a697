"""`pip install .[serve]` runs the app without TensorFlow: the server reads its preprocessing from the
model's manifest and runs TFLite files with LiteRT. Checked in a fresh interpreter where TensorFlow,
Keras, the TF.js converter and matplotlib cannot be imported at all."""
import json
import subprocess
import sys

import pytest

from tests.support.live_server import ROOT

TRAINING_ONLY = ("tensorflow", "keras", "tensorflowjs", "matplotlib")

SCRIPT = f"""
import json, sys
for name in {TRAINING_ONLY!r}:
    sys.modules[name] = None  # any import of it raises ImportError
import skimage.data
from server import create_app
from tests.support.images import encode

client = create_app({{"ASYNC_MODE": "threading"}}).test_client()
response = client.post("/api/predict", data=encode(skimage.data.astronaut(), ".jpg", quality=90))
interpreter = type(client.application.extensions["fer"].classifier.model.interpreter).__module__
print(json.dumps({{"status": response.status_code, "body": response.get_json(), "interpreter": interpreter,
                  "loaded": sorted(m for m in {TRAINING_ONLY!r} if sys.modules.get(m) is not None)}}))
"""


def test_the_app_answers_a_prediction_with_no_tensorflow_importable():
    pytest.importorskip("ai_edge_litert", reason="LiteRT (ai-edge-litert) is what serving without TensorFlow runs on")
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == 200, result["body"]
    assert len(result["body"]["faces"]) == 1
    assert result["body"]["faces"][0]["label"] in json.loads((ROOT / "models" / "resnet_slim" / "manifest.json").read_text())["labels"]
    assert result["interpreter"].startswith("ai_edge_litert")
    assert result["loaded"] == []
