"""Face detectors behind one interface: `make_detector(name).detect(rgb) -> [Detection, ...]`.

Every detector takes an RGB uint8 frame (H, W, 3) and returns boxes in that frame's pixel
coordinates, largest-score first. Faces smaller than `min_face` pixels on either side are dropped:
at that size the 48x48 classifier would be guessing.
"""
from server.detectors.base import Detection, filter_small
from server.detectors.blazeface import BlazeFaceDetector
from server.detectors.haar import HaarDetector

DETECTORS = {
    "haar": lambda min_face: HaarDetector(min_face=min_face),
    "blazeface": lambda min_face: BlazeFaceDetector("short", min_face=min_face),
    "blazeface_full": lambda min_face: BlazeFaceDetector("full", min_face=min_face),
}


def make_detector(name: str, min_face: int = 24):
    """Build the detector called `name` (one of DETECTORS)."""
    if name not in DETECTORS:
        raise ValueError(f"unknown face detector {name!r}; expected one of {sorted(DETECTORS)}")
    return DETECTORS[name](min_face)


__all__ = ["DETECTORS", "Detection", "make_detector", "filter_small"]
