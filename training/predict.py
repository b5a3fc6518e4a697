"""Run a Keras model over 48x48 uint8 faces, with optional test-time augmentation (training/tta.py)."""
import numpy as np

from training.preprocessing import preprocess_batch
from training.tta import graph_tta, with_tta


def predict_probabilities(model, faces_uint8, tta=None, batch_size=512) -> np.ndarray:
    """(N, 48, 48) uint8 faces -> (N, classes) probabilities; tta names a training.tta view, e.g. "flip"."""
    in_graph = graph_tta(model)
    if tta not in (None, "none") and in_graph != "none":  # asking twice means the caller misread the model
        raise ValueError(f"{model.name} already does {in_graph} test-time augmentation; evaluate it without --tta")
    model = with_tta(model, tta)
    return model.predict(preprocess_batch(faces_uint8), batch_size=batch_size, verbose=0)


def mean_probabilities(models, faces_uint8, tta=None, keep_graph_views=False) -> np.ndarray:
    """(N, classes) probabilities of several models, averaged. A model with views in its graph
    either keeps them and skips `tta` (keep_graph_views: a teacher mix of exports and checkpoints),
    or refuses `tta` as predict_probabilities does (evaluation, where asking twice is a mistake)."""
    def views_for(model):
        return None if keep_graph_views and graph_tta(model) != "none" else tta
    return np.mean([predict_probabilities(m, faces_uint8, tta=views_for(m)) for m in models], axis=0)
