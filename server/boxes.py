"""Box overlap, the one Python implementation: the detector's non-maximum suppression, the analysis's
face numbers and the tests use it (static/js/boxes.js is the page's)."""
import numpy as np


def iou(a, b) -> float:
    """Intersection over union of two (x, y, w, h) boxes, as static/js/boxes.js computes it."""
    iw = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / max(a[2] * a[3] + b[2] * b[3] - inter, 1e-9)


def iou_corners(box, boxes) -> np.ndarray:
    """Intersection over union of one (4,) box with (N, 4) boxes, all as (xmin, ymin, xmax, ymax)."""
    ix0, iy0 = np.maximum(box[0], boxes[:, 0]), np.maximum(box[1], boxes[:, 1])
    ix1, iy1 = np.minimum(box[2], boxes[:, 2]), np.minimum(box[3], boxes[:, 3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)
