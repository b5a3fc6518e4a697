"""The expression classifier: one of the exported model's TFLite files, read through its manifest."""
from pathlib import Path

import numpy as np

from converters.manifest import read_manifest
from training.preprocessing import SPEC, preprocess_face
from server.tflite import TFLiteModel


def check_manifest_matches_preprocessing(manifest: dict, model_dir):
    """The server preprocesses with training.preprocessing; refuse a model exported with other constants."""
    expected = {"shape": [*SPEC["input_size"], SPEC["channels"]], "gray_weights": SPEC["gray_weights"],
                "scale": SPEC["scale"], "offset": SPEC["offset"]}
    found = {key: manifest["input"].get(key) for key in expected}
    if found != expected:
        raise ValueError(f"{model_dir}/manifest.json: expected input constants {expected}, found {found}; "
                         "re-export the model with the current training/spec.json")


class Classifier:
    """Face crops -> probabilities over the manifest's labels."""

    def __init__(self, model_dir, tflite="float32"):
        """`tflite`: float32, float16 or int8, the TFLite file of the manifest to run."""
        self.model_dir = Path(model_dir)
        self.manifest = read_manifest(self.model_dir)
        check_manifest_matches_preprocessing(self.manifest, self.model_dir)
        self.labels = list(self.manifest["labels"])
        available = sorted(k.removeprefix("tflite_") for k in self.manifest["formats"] if k.startswith("tflite_"))
        if tflite not in available:
            raise ValueError(f"{self.model_dir}: no TFLite {tflite!r} model; its manifest has {', '.join(available)}")
        self.model = TFLiteModel(self.model_dir / self.manifest["formats"][f"tflite_{tflite}"]["path"])
        outputs = self.model.outputs[0]["shape"][-1]
        if outputs != len(self.labels):
            raise ValueError(f"{self.model_dir}: manifest has {len(self.labels)} labels, the model outputs {outputs}")

    def probabilities(self, crop: np.ndarray) -> np.ndarray:
        """One RGB or gray uint8 face crop -> (labels,) probabilities."""
        x = preprocess_face(crop)[None]
        p = next(iter(self.model.run(x).values()))[0].astype(np.float32)
        return p / p.sum()  # int8 outputs come in steps of 1/256 and need not sum to exactly 1

    def classify(self, crop: np.ndarray) -> dict:
        """One face crop -> {"label", "confidence", "probabilities": {label: p}}."""
        p = self.probabilities(crop)
        best = int(np.argmax(p))
        return {"label": self.labels[best], "confidence": round(float(p[best]), 4),
                "probabilities": {label: round(float(v), 4) for label, v in zip(self.labels, p)}}
