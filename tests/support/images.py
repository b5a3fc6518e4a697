"""Encoded images as a client would send them (in memory only)."""
import cv2
import numpy as np


def encode(rgb, ext=".jpg", **params):
    """RGB array -> encoded image bytes."""
    flags = [cv2.IMWRITE_JPEG_QUALITY, params["quality"]] if "quality" in params else []
    ok, buf = cv2.imencode(ext, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), flags)
    if not ok:
        raise ValueError(f"OpenCV could not encode {ext}")
    return buf.tobytes()


def face_png(face):
    """A (48, 48) uint8 dataset face as the PNG a user would upload (grey in RGB)."""
    return encode(np.repeat(face[..., None], 3, axis=2), ".png")
