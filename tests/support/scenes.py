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


# The astronaut's face, hand-annotated brow to chin, ear to ear, in the 512x512 photo: (x, y, w, h).
ASTRONAUT_FACE = (176, 72, 96, 100)


def astronaut() -> np.ndarray:
    """skimage's astronaut photo (512x512 RGB uint8): Eileen Collins, smiling."""
    from skimage import data

    return data.astronaut()


def fer_faces(split, labels=("happy", "surprise"), per_label=2, model_dir=None, min_confidence=0.6):
    """The first `per_label` faces of each label in a FER2013 split: [(label, 48x48 uint8)].

    With `model_dir` (a folder, or several), only faces that model (each of them) labels correctly, with at least `min_confidence`, on
    their own 48x48 crop: the browser tests check that the page's pipeline (detect, crop, resize,
    classify) keeps a label the model gives, and a face the model hesitates on (0.46 surprise
    against neutral) can flip on a one-pixel change of crop, which says nothing of the pipeline.
    The model's accuracy on all faces is measured by training.evaluate.
    """
    from training.preprocessing import LABELS

    out = []
    for name in labels:
        idx = np.flatnonzero(split.y == LABELS.index(name))
        for folder in [model_dir] if isinstance(model_dir, (str, Path)) else (model_dir or []):
            p = reference_probabilities(folder, split.x[idx])
            idx = idx[(p.argmax(1) == LABELS.index(name)) & (p.max(1) >= min_confidence)]
        out += [(name, split.x[i]) for i in idx[:per_label]]
    return out


def unsure_faces(split, model_dir, below, labels=("happy", "surprise"), per_label=80):  # per_label None: all
    """The first `per_label` faces of each label that the model in `model_dir` is unsure of on their
    own 48x48 crop (its top probability below `below`), whatever it calls them: [(label, 48x48 uint8)].
    For the crowd model, the faces the page classifies again with its own (static/js/inbrowser.js)."""
    from training.preprocessing import LABELS

    out = []
    for name in labels:
        idx = np.flatnonzero(split.y == LABELS.index(name))
        idx = idx[reference_probabilities(model_dir, split.x[idx]).max(1) < below]
        out += [(name, split.x[i]) for i in idx[:per_label]]
    return out


def reference_probabilities(model_dir, faces_uint8):
    """The model's probabilities for 48x48 faces, run in Python with its TFLite float32 export."""
    import json

    from converters.runtimes import TFLiteModel
    from training.preprocessing import preprocess_batch

    manifest = json.loads((Path(model_dir) / "manifest.json").read_text())
    model = TFLiteModel(Path(model_dir) / manifest["formats"]["tflite_float32"]["path"])
    return model.predict(preprocess_batch(faces_uint8))


def blank() -> np.ndarray:
    return np.full((FRAME_H, FRAME_W, 3), BACKGROUND, np.uint8)


def paste(frame, image, x, y, size):
    """Resize `image` (gray or RGB) to size x size and paste it with its top-left at (x, y)."""
    rgb = image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)
    frame[y:y + size, x:x + size] = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_CUBIC)


def place_astronaut(frame, x, y, size):
    """Paste the astronaut photo; returns her face box in frame pixels."""
    paste(frame, astronaut(), x, y, size)
    k = size / 512
    fx, fy, fw, fh = ASTRONAUT_FACE
    return (x + fx * k, y + fy * k, fw * k, fh * k)


def place_fer(frame, face, x, y, size, margin=6):
    """Paste a 48x48 FER face with a replicated margin (a whole head for the detector); returns the face box."""
    paste(frame, cv2.copyMakeBorder(face, margin, margin, margin, margin, cv2.BORDER_REPLICATE), x, y, size)
    k = size / (48 + 2 * margin)
    return (x + margin * k, y + margin * k, 48 * k, 48 * k)


def one_face_scene():
    """The astronaut photo, 480x480, centred. Returns (frame, [(expected label, face box)])."""
    frame = blank()
    return frame, [("happy", place_astronaut(frame, (FRAME_W - 480) // 2, 0, 480))]


# four_face_scene's layout: the astronaut's photo on the left (her face about 75 px, near the
# short-range BlazeFace's smallest), three FER2013 faces in a column on the right.
ASTRONAUT_SLOT = (0, 40, 400)
FER_SLOTS = [(440, 20), (440, 170), (440, 320)]
FER_SIZE = 150
SCORE_MARGIN = 0.15  # a chosen face scores this far above the detector's threshold


def four_face_scene(faces, labels=("happy", "surprise", "happy"), detector="blazeface"):
    """The astronaut (left) and three FER2013 faces with `labels` (right), from the candidates
    `faces` [(label, 48x48)]. Returns (frame, [(label, box)]).

    With `detector` (a server detector name; the default is the server's and the page's), each
    place takes the first candidate of its label that the detector finds there, in the scene, with
    a score SCORE_MARGIN above its threshold: an upscaled 48x48 face is far from the photos
    BlazeFace learnt from, it finds about half of them, and barely; the scene tests what happens
    to a face once found, in both modes. None: the first candidates."""
    detect = _detector(detector) if detector else None
    frame = blank()
    expected = [("happy", place_astronaut(frame, *ASTRONAUT_SLOT))]
    used = set()
    for label, (x, y) in zip(labels, FER_SLOTS):
        for i, (candidate_label, face) in enumerate(faces):
            if candidate_label != label or i in used:
                continue
            trial = frame.copy()
            box = place_fer(trial, face, x, y, FER_SIZE)
            if detect is None or detect(trial, box):
                used.add(i)
                frame = trial
                expected.append((label, box))
                break
        else:
            raise ValueError(f"no {label} face among the {len(faces)} candidates fits the four-face scene")
    return frame, expected


def _detector(name):
    """(frame, box) -> whether the detector finds a face on `box` with a score to spare."""
    from server.boxes import iou
    from server.detectors import make_detector

    detector = make_detector(name)
    threshold = getattr(detector, "options", {}).get("min_score", 0.0) + SCORE_MARGIN

    def found(frame, box):
        return any(d.score >= threshold and iou(d[:4], box) >= 0.3 for d in detector.detect(frame))
    return found


def write_y4m(path, frame, frames=4, fps=15):
    """Write `frame` (RGB uint8, H x W) `frames` times, or each frame of a sequence (N x H x W x 3)
    once, as a 4:2:0 y4m video for Chromium's fake camera (which plays it in a loop)."""
    sequence = frame if frame.ndim == 4 else [frame] * frames
    h, w = sequence[0].shape[:2]
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for picture in sequence:
            f.write(b"FRAME\n")
            f.write(cv2.cvtColor(picture, cv2.COLOR_RGB2YUV_I420).tobytes())  # (h * 3 / 2, w) planar
    return Path(path)


def moving_face_scene(frames=30, step=2):
    """one_face_scene's astronaut sliding right `step` pixels a frame and back: a face that never holds still."""
    frame, _ = one_face_scene()
    shifts = [step * k for k in range(frames // 2)]
    return np.stack([np.roll(frame, s, axis=1) for s in shifts + shifts[::-1]])


def recorded_scene(path, width=640):
    """Every frame of a recorded video (any file OpenCV reads), RGB, scaled to `width` with its
    aspect kept (even height, as 4:2:0 needs), and its frame rate rounded. All frames are held in
    memory: meant for clips of seconds."""
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        height = 2 * round(bgr.shape[0] * width / bgr.shape[1] / 2)
        frames.append(cv2.cvtColor(cv2.resize(bgr, (width, height), interpolation=cv2.INTER_CUBIC), cv2.COLOR_BGR2RGB))
    capture.release()
    if not frames:
        raise ValueError(f"{path}: no video frames OpenCV can read")
    return np.stack(frames), max(1, round(fps))


def write_webm(path, frame, frames=10, fps=10):
    """Write `frame` (RGB uint8) as a short VP8 WebM, a video file a person might upload."""
    h, w = frame.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"VP80"), fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError("expected OpenCV to write VP8 WebM, got a writer that did not open")
    for _ in range(frames):
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return Path(path)
