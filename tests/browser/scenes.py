"""Test scenes for the fake camera: real faces placed in a 640x480 frame, written as .y4m.

The astronaut photo (skimage) gives one real, smiling face; FER2013 faces (upscaled from
48x48, with a margin so the detector sees a whole head) give more faces with known labels.
Nothing here is committed as a binary: the videos are built at test time in a tmp dir.
"""
from pathlib import Path

import cv2
import numpy as np

FRAME_W, FRAME_H = 640, 480
BACKGROUND = 96  # mid gray, so no edge of the canvas looks like a face
FER_DATA = Path(__file__).resolve().parents[3] / "shared/datasets/fer2013/fer2013.csv.gz"


def astronaut() -> np.ndarray:
    """skimage's astronaut photo (512x512 RGB uint8): Eileen Collins, smiling."""
    from skimage import data

    return data.astronaut()


def fer_faces(labels=("happy", "surprise"), per_label=3, split="PrivateTest", path=FER_DATA):
    """The first `per_label` FER2013 faces of each label in `split`: [(label, 48x48 uint8)]."""
    from training.data import load
    from training.preprocessing import LABELS

    data = load(path)[split]
    out = []
    for name in labels:
        idx = np.flatnonzero(data.y == LABELS.index(name))[:per_label]
        out += [(name, data.x[i]) for i in idx]
    return out


def blank() -> np.ndarray:
    return np.full((FRAME_H, FRAME_W, 3), BACKGROUND, np.uint8)


def paste(frame, image, x, y, size):
    """Resize `image` (gray or RGB) to size x size and paste it with its top-left at (x, y)."""
    rgb = image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)
    frame[y:y + size, x:x + size] = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_CUBIC)
    return (x, y, size, size)


def one_face_scene():
    """The astronaut photo, 480x480, centred: one face. Returns (frame, [expected label])."""
    frame = blank()
    paste(frame, astronaut(), (FRAME_W - 480) // 2, 0, 480)
    return frame, ["happy"]


def four_face_scene(faces):
    """The astronaut (left) and three FER2013 faces (right). Returns (frame, expected labels left to right, top to bottom)."""
    frame = blank()
    paste(frame, astronaut(), 0, 80, 320)
    spots = [(350, 20), (490, 20), (420, 250)]
    for (label, face), (x, y) in zip(faces, spots):
        padded = cv2.copyMakeBorder(face, 12, 12, 12, 12, cv2.BORDER_REPLICATE)
        paste(frame, padded, x, y, 140)
    return frame, ["happy"] + [label for label, _ in faces[:3]]


def write_y4m(path, frame, frames=4, fps=15):
    """Write `frame` (RGB uint8, H x W) `frames` times as a 4:2:0 y4m video for Chromium's fake camera."""
    h, w = frame.shape[:2]
    yuv = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420)  # (h * 3 / 2, w) planar
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n")
            f.write(yuv.tobytes())
    return Path(path)
