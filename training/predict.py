"""Run a Keras model over 48x48 uint8 faces, with optional flip test-time augmentation."""
import numpy as np

from training.preprocessing import preprocess_batch


def predict_probabilities(model, faces_uint8, tta=None, batch_size=512) -> np.ndarray:
    """(N, 48, 48) uint8 faces -> (N, classes) probabilities; tta="flip" averages with the mirrored face."""
    x = preprocess_batch(faces_uint8)
    probabilities = model.predict(x, batch_size=batch_size, verbose=0)
    if tta == "flip":
        probabilities = (probabilities + model.predict(x[:, :, ::-1], batch_size=batch_size, verbose=0)) / 2
    elif tta not in (None, "none"):
        raise ValueError(f"unknown test-time augmentation {tta!r}; expected 'flip' or none")
    return probabilities
