"""Detector box -> the square face crop the classifier sees, as the manifest's `crop_scale` says."""
import numpy as np

DEFAULT_CROP_SCALE = 1.0  # models exported before crop_scale joined the manifest were trained on tight crops


def square_crop(rgb: np.ndarray, box, crop_scale: float = DEFAULT_CROP_SCALE) -> np.ndarray:
    """A square of side max(w, h) * crop_scale centred on the box. Parts outside the frame are
    black, as TF.js cropAndResize fills them in the browser, so both paths see the same pixels."""
    x, y, w, h = box[:4]
    side = max(1, int(round(max(w, h) * crop_scale)))
    x0 = int(round(x + w / 2 - side / 2))
    y0 = int(round(y + h / 2 - side / 2))
    height, width = rgb.shape[:2]
    out = np.zeros((side, side) + rgb.shape[2:], rgb.dtype)
    sx0, sy0 = max(0, x0), max(0, y0)
    sx1, sy1 = min(width, x0 + side), min(height, y0 + side)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = rgb[sy0:sy1, sx0:sx1]
    return out
