"""OpenCV's Viola-Jones Haar cascade, the seed's detector: no weights to fetch, ships with OpenCV."""
import cv2
import numpy as np

from server.concurrency import os_lock
from server.detectors.base import Detection, filter_small

CASCADE = "haarcascade_frontalface_default.xml"


class HaarDetector:
    """Frontal-face Haar cascade on the grayscale frame."""

    name = "haar"

    def __init__(self, min_face=24, scale_factor=1.1, min_neighbors=5):
        path = cv2.data.haarcascades + CASCADE
        self.cascade = cv2.CascadeClassifier(path)
        if self.cascade.empty():
            raise FileNotFoundError(f"{path}: OpenCV could not load the Haar cascade")
        self.min_face = min_face
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        # One cascade object is not documented as safe to share between threads.
        self._lock = os_lock()

    def detect(self, rgb: np.ndarray) -> list:
        """RGB uint8 frame -> faces. The cascade has no calibrated score, so the score is the
        share of neighbouring windows that agreed, capped at 1 (min_neighbors agreeing -> 0.5)."""
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        gray = cv2.equalizeHist(gray)
        with self._lock:
            boxes, neighbours = self.cascade.detectMultiScale2(
                gray, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
                minSize=(self.min_face, self.min_face))
        detections = [
            Detection(int(x), int(y), int(w), int(h), min(1.0, float(n) / (2 * self.min_neighbors)))
            for (x, y, w, h), n in zip(np.reshape(boxes, (-1, 4)), np.ravel(neighbours))
        ]
        return filter_small(detections, self.min_face)
