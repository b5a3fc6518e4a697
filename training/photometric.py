"""Photometric augmentation: the ways one camera's face differs from another's.

FER2013's original pixels come from web photos; a webcam gives other exposure, contrast, gamma,
noise, blur and compression. Each face draws its own change of each kind, wide enough to cover
cameras, so the model learns expressions rather than one source's look. Geometry (rotation,
shift, zoom, flip, erasing) stays in training.augment; this runs first, on 0..255 uint8 faces.
"""
import cv2
import numpy as np


def make_photometric(seed=0, strength=1.0):
    """f(faces (N, H, W[, 1]) uint8) -> faces of the same shape and dtype, each changed at random."""
    rng = np.random.default_rng(seed)

    def apply(faces):
        out = np.empty_like(faces)
        for i, face in enumerate(faces):
            out[i] = _one(face.reshape(face.shape[:2]), rng, strength).reshape(face.shape)
        return out

    return apply


def _one(face, rng, strength):
    x = face.astype(np.float32)
    if rng.random() < 0.2:  # some cameras and datasets equalise: see that look too
        x = cv2.equalizeHist(face).astype(np.float32)
    # Contrast about the face's mean, then brightness, then gamma.
    mean = x.mean()
    x = (x - mean) * np.exp(rng.normal(0, 0.25 * strength)) + mean + rng.normal(0, 20 * strength)
    x = np.clip(x, 0, 255)
    x = 255 * (x / 255) ** np.exp(rng.normal(0, 0.25 * strength))
    if rng.random() < 0.3:
        x = cv2.GaussianBlur(x, (0, 0), rng.uniform(0.3, 1.2))
    if rng.random() < 0.3:
        x = x + rng.normal(0, rng.uniform(1, 8) * strength, x.shape)
    x = np.clip(np.rint(x), 0, 255).astype(np.uint8)
    if rng.random() < 0.4:
        quality = int(rng.integers(20, 90))
        ok, buffer = cv2.imencode(".jpg", x, [cv2.IMWRITE_JPEG_QUALITY, quality])
        x = cv2.imdecode(buffer, cv2.IMREAD_GRAYSCALE) if ok else x
    return x
