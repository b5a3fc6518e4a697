"""The one Python preprocessing for faces, shared by training, evaluation, the converters and the server.

Its constants live in `spec.json` beside this file; the converters copy them into each model's
`manifest.json`, which is what the server and the browser read. A face goes through three named
steps: to grayscale, resize to the input size, scale to [-1, 1].
"""
import json
from pathlib import Path

import cv2
import numpy as np

SPEC_PATH = Path(__file__).with_name("spec.json")
SPEC = json.loads(SPEC_PATH.read_text())
LABELS = tuple(SPEC["labels"])
NUM_CLASSES = len(LABELS)
INPUT_SIZE = tuple(SPEC["input_size"])  # (height, width)
INPUT_SHAPE = (*INPUT_SIZE, SPEC["channels"])


def to_gray(image: np.ndarray, weights=SPEC["gray_weights"]) -> np.ndarray:
    """RGB (H, W, 3) or gray (H, W) uint8 -> gray (H, W) float32, with the spec's luma weights."""
    if image.ndim == 2:
        return image.astype(np.float32)
    if image.ndim == 3 and image.shape[2] == 1:
        return image[..., 0].astype(np.float32)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return image[..., :3].astype(np.float32) @ np.asarray(weights, np.float32)
    raise ValueError(f"expected a gray (H, W) or RGB (H, W, 3) image, got shape {image.shape}")


def resize(gray: np.ndarray, size=INPUT_SIZE) -> np.ndarray:
    """Resize a gray float image to `size` (height, width) by area averaging, the way the browser does."""
    if gray.shape == tuple(size):
        return gray
    return cv2.resize(gray, (size[1], size[0]), interpolation=cv2.INTER_AREA)


def scale(gray: np.ndarray) -> np.ndarray:
    """0..255 -> [-1, 1]."""
    return (gray / SPEC["scale"] + SPEC["offset"]).astype(np.float32)


def preprocess_face(face: np.ndarray) -> np.ndarray:
    """One face crop (RGB or gray, any size, uint8) -> model input (48, 48, 1) float32 in [-1, 1]."""
    return scale(resize(to_gray(face)))[..., None]


def preprocess_batch(faces_uint8: np.ndarray) -> np.ndarray:
    """A batch of 48x48 gray uint8 faces (N, 48, 48) -> (N, 48, 48, 1) float32 in [-1, 1]."""
    return scale(faces_uint8.astype(np.float32))[..., None]
