"""MediaPipe's BlazeFace, run with TensorFlow Lite; weights from the npm package @mediapipe/face_detection.

The model only scores a fixed grid of SSD anchors; this file does the rest the way MediaPipe's
graph does (face_detection_short_range.pbtxt / full_range): letterbox the frame into the square
input, generate anchors (SsdAnchorsCalculator), decode the regressors into boxes
(TensorsToDetectionsCalculator), merge overlapping boxes by weighted non-maximum suppression
(NonMaxSuppressionCalculator, WEIGHTED), and undo the letterbox.
"""
from pathlib import Path

import cv2
import numpy as np

from server.boxes import iou_corners
from server.detectors.base import Detection, clip_box, filter_small
from server.tflite import TFLiteModel

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "node_modules" / "@mediapipe" / "face_detection"

# The two graphs' options, copied from MediaPipe's face_detection_{short,full}_range.pbtxt.
VARIANTS = {
    "short": {"file": "face_detection_short_range.tflite", "size": 128, "strides": (8, 16, 16, 16),
              "interpolated_anchor": True, "min_score": 0.5},
    "full": {"file": "face_detection_full_range.tflite", "size": 192, "strides": (4,),
             "interpolated_anchor": False, "min_score": 0.6},
}
NMS_IOU = 0.3  # min_suppression_threshold in both graphs
PIXEL_SCALE, PIXEL_OFFSET = 127.5, -1.0  # the model reads (pixel / 127.5 - 1), in [-1, 1]


def make_anchors(size, strides, interpolated_anchor) -> np.ndarray:
    """Anchor centres (N, 2) in [0, 1], in the model's output order.

    With fixed_anchor_size every anchor is 1x1, so only centres matter. Consecutive layers with the
    same stride share one feature map; each such layer adds one anchor per cell, two when the
    interpolated scale anchor is on."""
    centres = []
    layer = 0
    while layer < len(strides):
        stride = strides[layer]
        same = 0
        while layer + same < len(strides) and strides[layer + same] == stride:
            same += 1
        per_cell = same * (2 if interpolated_anchor else 1)
        cells = int(np.ceil(size / stride))
        ys, xs = np.meshgrid((np.arange(cells) + 0.5) / cells, (np.arange(cells) + 0.5) / cells, indexing="ij")
        grid = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(grid, per_cell, axis=0))
        layer += same
    return np.concatenate(centres).astype(np.float32)


def decode_boxes(regressors, anchors, size) -> np.ndarray:
    """Raw regressors (N, 16) -> boxes (N, 4) as normalised (xmin, ymin, xmax, ymax)."""
    cx = regressors[:, 0] / size + anchors[:, 0]
    cy = regressors[:, 1] / size + anchors[:, 1]
    w = regressors[:, 2] / size
    h = regressors[:, 3] / size
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)


def decode_eyes(regressors, anchors, size) -> np.ndarray:
    """Raw regressors (N, 16) -> the eyes (N, 4) as normalised (right x, right y, left x, left y).
    After the box come six keypoints, each an (x, y) offset from the anchor: the face's right eye
    (on the image's left in a frontal face), its left eye, nose tip, mouth, right ear, left ear."""
    return regressors[:, 4:8] / size + np.tile(anchors, 2)


def weighted_nms(boxes, scores, threshold=NMS_IOU):
    """MediaPipe's weighted NMS: each cluster around the best remaining box becomes one box, the
    score-weighted mean of the cluster, keeping the best score. Returns [(box, score), ...].
    `boxes` (N, 4 or more): (xmin, ymin, xmax, ymax), then any values averaged alike (keypoints)."""
    order = np.argsort(-scores)
    boxes, scores = boxes[order], scores[order]
    remaining = np.arange(len(scores))
    merged = []
    while remaining.size:
        overlaps = iou_corners(boxes[remaining[0]], boxes[remaining])
        cluster = remaining[overlaps > threshold]
        weights = scores[cluster][:, None]
        merged.append(((boxes[cluster] * weights).sum(0) / weights.sum(), float(scores[remaining[0]])))
        remaining = remaining[overlaps <= threshold]
    return merged


def letterbox(rgb, size):
    """Fit the frame into a size x size square, centred, padding with black, as MediaPipe does
    with keep_aspect_ratio. Returns the square and (scale, pad_x, pad_y) to undo it."""
    height, width = rgb.shape[:2]
    scale = size / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    resized = cv2.resize(rgb, (new_w, new_h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    pad_x, pad_y = (size - new_w) // 2, (size - new_h) // 2
    square = np.zeros((size, size, 3), np.uint8)
    square[pad_y:pad_y + new_h, pad_x:pad_x + new_w] = resized
    return square, (scale, pad_x, pad_y)


class BlazeFaceDetector:
    """BlazeFace short range (faces within ~2 m, 128x128 input) or full range (192x192)."""

    def __init__(self, variant="short", min_face=24, model_dir=PACKAGE_DIR):
        if variant not in VARIANTS:
            raise ValueError(f"unknown BlazeFace variant {variant!r}; expected one of {sorted(VARIANTS)}")
        self.name = "blazeface" if variant == "short" else f"blazeface_{variant}"
        self.options = VARIANTS[variant]
        path = Path(model_dir) / self.options["file"]
        if not path.exists():
            raise FileNotFoundError(f"{path}: BlazeFace weights missing; run `npm ci` to install @mediapipe/face_detection")
        self.model = TFLiteModel(path)
        self.size = self.options["size"]
        self.anchors = make_anchors(self.size, self.options["strides"], self.options["interpolated_anchor"])
        if len(self.anchors) != self.model.outputs[0]["shape"][1]:
            raise ValueError(f"{path}: expected {len(self.anchors)} anchors, the model has {self.model.outputs[0]['shape'][1]}")
        self.min_face = min_face

    def scores_and_boxes(self, square: np.ndarray):
        """The letterboxed square (size x size RGB uint8) -> every anchor's score (N,), box (N, 4),
        normalised (xmin, ymin, xmax, ymax), and eyes (N, 4), normalised (right x, right y, left x,
        left y): what converters/face_detector.py's graph computes too."""
        outputs = self.model.run(square[None].astype(np.float32) / PIXEL_SCALE + PIXEL_OFFSET)
        # The regressors have 16 values per anchor (box + 6 keypoints), the scores one.
        regressors, logits = sorted(outputs.values(), key=lambda a: -a.shape[-1])
        scores = 1 / (1 + np.exp(-np.clip(logits[0, :, 0].astype(np.float64), -100, 100)))
        return (scores, decode_boxes(regressors[0], self.anchors, self.size),
                decode_eyes(regressors[0], self.anchors, self.size))

    def detect(self, rgb: np.ndarray) -> list:
        """RGB uint8 frame -> faces."""
        square, (scale, pad_x, pad_y) = letterbox(rgb, self.size)
        scores, boxes, eyes = self.scores_and_boxes(square)
        keep = scores >= self.options["min_score"]
        if not keep.any():
            return []
        height, width = rgb.shape[:2]
        detections = []
        # The eyes ride along with the corners: weighted NMS averages them with the same weights.
        for (x0, y0, x1, y1, rx, ry, lx, ly), score in weighted_nms(np.hstack([boxes, eyes])[keep], scores[keep]):
            # normalised square -> square pixels -> frame pixels
            fx0, fy0 = (x0 * self.size - pad_x) / scale, (y0 * self.size - pad_y) / scale
            fx1, fy1 = (x1 * self.size - pad_x) / scale, (y1 * self.size - pad_y) / scale
            box = clip_box(fx0, fy0, fx1 - fx0, fy1 - fy0, width, height)
            # The letterbox scales both axes alike, so the normalised eyes give the angle as they are.
            detections.append(Detection(*box, score, roll=float(np.arctan2(ly - ry, lx - rx))))
        return filter_small(detections, self.min_face)
