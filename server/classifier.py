"""The expression classifier: one of the exported model's TFLite files, read through its manifest.

The manifest's `input` block says how a face becomes the model's input (gray weights, size, resize,
scale and offset); the server follows it, with training.preprocessing's steps (NumPy and OpenCV
only), so serving needs no TensorFlow.
"""
from pathlib import Path

import numpy as np

from converters.manifest import read_manifest
from server.tflite import TFLiteModel
from training.preprocessing import resize, to_gray

RESIZES = ("area",)  # training.preprocessing.resize and the page's (static/js/preprocessing.js) average areas


def model_input(manifest: dict, model_dir) -> dict:
    """The manifest's `input` block, checked to be one the server can follow (ValueError otherwise)."""
    block = manifest.get("input", {})
    shape, weights = block.get("shape"), block.get("gray_weights")
    problems = []
    if not (isinstance(shape, list) and len(shape) == 3 and shape[2] == 1 and all(isinstance(d, int) and d > 0 for d in shape)):
        problems.append(f"shape {shape!r} is not [height, width, 1]")
    if not (isinstance(weights, list) and len(weights) == 3 and all(isinstance(w, (int, float)) for w in weights)):
        problems.append(f"gray_weights {weights!r} are not three numbers")
    if block.get("resize") not in RESIZES:
        problems.append(f"resize {block.get('resize')!r} is not one of {sorted(RESIZES)}")
    if not (isinstance(block.get("scale"), (int, float)) and block["scale"] and isinstance(block.get("offset"), (int, float))):
        problems.append(f"scale {block.get('scale')!r} and offset {block.get('offset')!r} are not numbers (scale not 0)")
    if problems:
        raise ValueError(f"{model_dir}/manifest.json: cannot preprocess faces for this model: {'; '.join(problems)}")
    return block


def check_manifest_matches_preprocessing(manifest: dict, model_dir):
    """Refuse a model whose manifest asks for preprocessing the server cannot do (see model_input)."""
    model_input(manifest, model_dir)


def preprocess_face(crop: np.ndarray, block: dict) -> np.ndarray:
    """One RGB(A) or gray uint8 face crop -> the model input (H, W, 1) float32, as the manifest's
    `input` block says: gray(RGB) with its weights, resized to its shape, value / scale + offset.
    The steps are training.preprocessing's (NumPy and OpenCV only); the constants are the model's."""
    gray = resize(to_gray(crop, block["gray_weights"]), tuple(block["shape"][:2]))
    return (gray / block["scale"] + block["offset"]).astype(np.float32)[..., None]


class Classifier:
    """Face crops -> probabilities over the manifest's labels."""

    def __init__(self, model_dir, tflite="float32"):
        """`tflite`: float32, float16 or int8, the TFLite file of the manifest to run."""
        self.model_dir = Path(model_dir)
        self.manifest = read_manifest(self.model_dir)
        self.input = model_input(self.manifest, self.model_dir)
        self.labels = list(self.manifest["labels"])
        available = sorted(k.removeprefix("tflite_") for k in self.manifest["formats"] if k.startswith("tflite_"))
        if tflite not in available:
            raise ValueError(f"{self.model_dir}: no TFLite {tflite!r} model; its manifest has {', '.join(available)}")
        self.model = TFLiteModel(self.model_dir / self.manifest["formats"][f"tflite_{tflite}"]["path"])
        if self.model.input_shape[1:] != tuple(self.input["shape"]):
            raise ValueError(f"{self.model_dir}: manifest input shape {self.input['shape']}, "
                             f"the model takes {list(self.model.input_shape[1:])}")
        outputs = self.model.outputs[0]["shape"][-1]
        if outputs != len(self.labels):
            raise ValueError(f"{self.model_dir}: manifest has {len(self.labels)} labels, the model outputs {outputs}")

    def probabilities(self, crop: np.ndarray) -> np.ndarray:
        """One RGB or gray uint8 face crop -> (labels,) probabilities."""
        x = preprocess_face(crop, self.input)[None]
        p = next(iter(self.model.run(x).values()))[0].astype(np.float32)
        return p / p.sum()  # int8 outputs come in steps of 1/256 and need not sum to exactly 1

    def classify(self, crop: np.ndarray) -> dict:
        """One face crop -> {"label", "confidence", "probabilities": {label: p}}."""
        p = self.probabilities(crop)
        best = int(np.argmax(p))
        return {"label": self.labels[best], "confidence": round(float(p[best]), 4),
                "probabilities": {label: round(float(v), 4) for label, v in zip(self.labels, p)}}
