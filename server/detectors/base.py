"""What every detector returns, and the shared rules applied to its boxes."""
from typing import NamedTuple


class Detection(NamedTuple):
    """One face: box in frame pixels (top-left x, y, width, height), a score in [0, 1], and the
    face's roll: the angle of the line from its right eye to its left eye against the frame's x axis,
    in radians, positive turning towards +y (down); 0 where the detector finds no eyes (Haar)."""
    x: int
    y: int
    w: int
    h: int
    score: float
    roll: float = 0.0


def clip_box(x, y, w, h, width, height):
    """Clip a float box to the frame; returns integer (x, y, w, h), possibly empty."""
    x0, y0 = max(0, int(round(x))), max(0, int(round(y)))
    x1, y1 = min(width, int(round(x + w))), min(height, int(round(y + h)))
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


def filter_small(detections, min_face):
    """Drop faces below `min_face` pixels on either side, then sort by score, best first."""
    kept = [d for d in detections if d.w >= min_face and d.h >= min_face]
    return sorted(kept, key=lambda d: -d.score)
