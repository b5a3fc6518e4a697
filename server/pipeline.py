"""One frame's journey: bytes -> RGB frame -> face boxes -> square crops -> labels, with timings."""
import math
import time

from server.classifier import Classifier
from server.concurrency import run_blocking
from server.config import DEFAULTS
from server.crop import framing_for, square_crop
from server.detectors import make_detector
from server.detectors.base import Detection
from server.images import decode_image


def _ms(seconds):
    return round(seconds * 1000, 2)


class Engine:
    """The server's inference: a detector, the classifier, and the input limits. Thread-safe."""

    def __init__(self, model_dir, tflite=DEFAULTS["TFLITE"], detector=DEFAULTS["DETECTOR"],
                 max_bytes=DEFAULTS["MAX_UPLOAD_BYTES"], max_pixels=DEFAULTS["MAX_PIXELS"],
                 min_face=DEFAULTS["MIN_FACE"], async_mode="threading"):
        self.classifier = Classifier(model_dir, tflite)
        self.detector = make_detector(detector, min_face=min_face)
        self.crop_scale, self.crop_offset = framing_for(self.classifier.manifest["input"], self.detector.name)
        # Whether crops turn with the face to level its eyes, as the training faces' are (near enough).
        self.level_eyes = bool(self.classifier.manifest["input"].get("level_eyes", False))
        self.max_bytes, self.max_pixels = max_bytes, max_pixels
        self.async_mode = async_mode

    @property
    def manifest(self):
        return self.classifier.manifest

    def analyse(self, data: bytes, detect=True) -> dict:
        """Blocking: image bytes -> {"faces", "width", "height", "timings"}. Raises InputError.
        `detect=False` takes the whole image as one face, already cropped (a dataset's face, say):
        a detector trained on faces in scenes can miss a face that fills the frame."""
        start = time.perf_counter()
        rgb = decode_image(data, self.max_bytes, self.max_pixels)
        return self.analyse_rgb(rgb, detect, start)

    def analyse_rgb(self, rgb, detect=True, start=None) -> dict:
        """`analyse` from an RGB uint8 frame already decoded (a video frame, say): the same result.
        `start`: when the decoding began, so the timings count it (perf_counter seconds)."""
        decoded = time.perf_counter()
        start = decoded if start is None else start
        height, width = rgb.shape[:2]
        detections = self.detector.detect(rgb) if detect else [Detection(0, 0, width, height, 1.0)]
        detected = time.perf_counter()
        faces = []
        for d in detections:
            face = {"box": [d.x, d.y, d.w, d.h], "score": round(d.score, 4), "roll": round(math.degrees(d.roll), 1)}
            # A whole image given as the face (detect=False) is already framed: the plain crop.
            scale, offset = (self.crop_scale, self.crop_offset) if detect else (1.0, (0.0, 0.0))
            roll = d.roll if self.level_eyes else 0.0
            face.update(self.classifier.classify(square_crop(rgb, d, scale, crop_offset=offset, roll=roll)))
            faces.append(face)
        done = time.perf_counter()
        return {
            "faces": faces, "width": int(width), "height": int(height),
            "detector": self.detector.name if detect else "none",
            "timings": {"decode": _ms(decoded - start), "detect": _ms(detected - decoded),
                        "classify": _ms(done - detected), "total": _ms(done - start)},
        }

    def analyse_off_loop(self, data: bytes, detect=True) -> dict:
        """`analyse` run where it cannot stall the event loop (a real thread under eventlet)."""
        return run_blocking(self.async_mode, self.analyse, data, detect)
