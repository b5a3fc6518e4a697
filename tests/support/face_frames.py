"""Frames with known face boxes, for the detector bench and the server tests.

- photos from scikit-image's bundled data: the astronaut (one smiling frontal face), the
  cameraman (one face in profile), and photos with no face at all (false-positive checks);
- synthetic 640x480 frames: FER2013 faces, upscaled, pasted at known places on a faceless photo.

Every frame is 640x480 RGB uint8; boxes are (x, y, w, h) in its pixels.
"""
from dataclasses import dataclass, field

import cv2
import numpy as np
import skimage.data

from server.boxes import iou
from tests.support.scenes import ASTRONAUT_FACE
from training.data import DEFAULT_DATA

WIDTH, HEIGHT = 640, 480
FER_DATA = str(DEFAULT_DATA)  # ../shared beside the checkout

# Hand-annotated face boxes (brow to chin, ear to ear) in the original images.
PHOTOS_WITH_FACES = {
    "astronaut": (skimage.data.astronaut, [ASTRONAUT_FACE]),
    "camera (profile)": (skimage.data.camera, [(185, 95, 65, 100)]),
}
PHOTOS_WITHOUT_FACES = ("chelsea", "coffee", "rocket", "coins", "brick", "grass", "hubble_deep_field", "immunohistochemistry")


@dataclass
class Frame:
    name: str
    rgb: np.ndarray
    boxes: list                                 # ground-truth faces
    labels: list = field(default_factory=list)  # FER2013 label index per box, synthetic frames only


def fit(image, boxes=()):
    """Scale an image to fit 640x480 and centre it on mid-gray; boxes follow."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    h, w = image.shape[:2]
    s = min(WIDTH / w, HEIGHT / h)
    nw, nh = round(w * s), round(h * s)
    x0, y0 = (WIDTH - nw) // 2, (HEIGHT - nh) // 2
    frame = np.full((HEIGHT, WIDTH, 3), 128, np.uint8)
    frame[y0:y0 + nh, x0:x0 + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
    return frame, [(round(x * s + x0), round(y * s + y0), round(bw * s), round(bh * s)) for x, y, bw, bh in boxes]


def photos():
    """The scikit-image photos, fitted to 640x480, with their face boxes (none for the negatives)."""
    frames = [Frame(name, *fit(load(), boxes)) for name, (load, boxes) in PHOTOS_WITH_FACES.items()]
    frames += [Frame(name, *fit(getattr(skimage.data, name)())) for name in PHOTOS_WITHOUT_FACES]
    return frames


def paste_faces(background, faces, rng, sizes=(96, 200)):
    """Paste gray 48x48 faces, upscaled to random sizes, at random non-overlapping places.
    Returns the new frame and the faces' boxes."""
    frame = background.copy()
    boxes = []
    for face in faces:
        for _ in range(200):
            side = int(rng.integers(*sizes))
            x, y = int(rng.integers(0, WIDTH - side)), int(rng.integers(0, HEIGHT - side))
            # keep a margin between faces, so no detector box can cover two of them
            if all(x + side + 16 < bx or bx + bw + 16 < x or y + side + 16 < by or by + bh + 16 < y
                   for bx, by, bw, bh in boxes):
                break
        else:
            raise ValueError(f"could not place {len(faces)} faces of {sizes} px in {WIDTH}x{HEIGHT}")
        frame[y:y + side, x:x + side] = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)[..., None]
        boxes.append((x, y, side, side))
    return frame, boxes


def fer_frames(split, n_frames=20, faces_per_frame=3, seed=0, sizes=(96, 200)):
    """Synthetic frames of FER2013 faces (a `training.data.Split`) on blurred faceless photos."""
    rng = np.random.default_rng(seed)
    backgrounds = [cv2.GaussianBlur(fit(getattr(skimage.data, name)())[0], (0, 0), 3)
                   for name in ("coffee", "brick", "grass", "rocket")]
    picks = rng.choice(len(split.y), size=n_frames * faces_per_frame, replace=False)
    frames = []
    for i in range(n_frames):
        chosen = picks[i * faces_per_frame:(i + 1) * faces_per_frame]
        frame, boxes = paste_faces(backgrounds[i % len(backgrounds)], [split.x[j] for j in chosen], rng, sizes)
        frames.append(Frame(f"fer{i:02d}", frame, boxes, [int(split.y[j]) for j in chosen]))
    return frames


ASTRONAUT_HEAD = (96, 0, 256, 256)  # head and shoulders around her face, (x, y, w, h)


def astronaut_scenes(n_frames=20, seed=0, per_frame=(1, 3), sides=(100, 300)):
    """Frames with 1-3 copies of the astronaut's head and shoulders (real context around the
    face, unlike FER2013's tight crops), scaled so faces span ~35-110 px, on blurred photos."""
    rng = np.random.default_rng(seed)
    astronaut = skimage.data.astronaut()
    hx, hy, hw, hh = ASTRONAUT_HEAD
    head = astronaut[hy:hy + hh, hx:hx + hw]
    fx, fy, fw, fh = ASTRONAUT_FACE
    backgrounds = [cv2.GaussianBlur(fit(getattr(skimage.data, name)())[0], (0, 0), 3)
                   for name in ("coffee", "brick", "grass", "rocket")]
    frames = []
    for i in range(n_frames):
        frame = backgrounds[i % len(backgrounds)].copy()
        boxes, placed = [], []
        for _ in range(int(rng.integers(per_frame[0], per_frame[1] + 1))):
            for _ in range(200):
                side = int(rng.integers(*sides))
                x, y = int(rng.integers(0, WIDTH - side)), int(rng.integers(0, HEIGHT - side))
                if all(x + side < px or px + ps < x or y + side < py or py + ps < y for px, py, ps in placed):
                    break
            else:
                continue
            frame[y:y + side, x:x + side] = cv2.resize(head, (side, side), interpolation=cv2.INTER_AREA)
            s = side / hw
            boxes.append((round(x + (fx - hx) * s), round(y + (fy - hy) * s), round(fw * s), round(fh * s)))
            placed.append((x, y, side))
        frames.append(Frame(f"astronauts{i:02d}", frame, boxes))
    return frames


def match(truth, found, threshold=0.3):
    """Greedy one-to-one matching by IoU: returns ({truth index: found index}, unmatched found indices)."""
    pairs = sorted(((iou(t, f), i, j) for i, t in enumerate(truth) for j, f in enumerate(found)), reverse=True)
    matched, used = {}, set()
    for score, i, j in pairs:
        if score >= threshold and i not in matched and j not in used:
            matched[i] = j
            used.add(j)
    return matched, [j for j in range(len(found)) if j not in used]
