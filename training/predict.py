"""Run a Keras model over 48x48 uint8 faces, with optional flip test-time augmentation."""
import numpy as np

from training.preprocessing import preprocess_batch
from training.tta import has_flip_tta, with_flip_tta


def predict_probabilities(model, faces_uint8, tta=None, batch_size=512) -> np.ndarray:
    """(N, 48, 48) uint8 faces -> (N, classes) probabilities; tta="flip" averages with the mirrored face."""
    if tta == "flip":
        if has_flip_tta(model):
            raise ValueError(f"{model.name} already averages over mirrored faces; evaluate it without --tta")
        model = with_flip_tta(model)
    elif tta not in (None, "none"):
        raise ValueError(f"unknown test-time augmentation {tta!r}; expected 'flip' or none")
    return model.predict(preprocess_batch(faces_uint8), batch_size=batch_size, verbose=0)
