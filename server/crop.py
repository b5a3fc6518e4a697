"""Detector box -> the square face crop the classifier sees, as the manifest's `crop_scale` says."""
import cv2
import numpy as np

DEFAULT_CROP_SCALE = 1.0  # models exported before crop_scale joined the manifest were trained on tight crops
# The classifier sees 48x48; a larger crop only costs memory. Without a bound a 91-byte 10000x1 PNG
# sent with detect=false became a 10000x10000 square (1.5 GB once preprocessing made it float32).
MAX_CROP_SIDE = 512


def framing_for(model_input: dict, detector_name: str) -> tuple:
    """(crop_scale, crop_offset) that turn `detector_name`'s boxes into the framing the model was
    trained on: the manifest's `framing` entry for that detector (measured by bench.framing), else
    its plain `crop_scale` centred on the box."""
    framing = model_input.get("framing", {}).get(detector_name)
    if framing:
        return framing["crop_scale"], tuple(framing["crop_offset"])
    return model_input.get("crop_scale", DEFAULT_CROP_SCALE), (0.0, 0.0)


def square_crop(rgb: np.ndarray, box, crop_scale: float = DEFAULT_CROP_SCALE, max_side: int = MAX_CROP_SIDE,
                crop_offset=(0.0, 0.0), roll: float = 0.0) -> np.ndarray:
    """A square of side max(w, h) * crop_scale centred on the box, its centre moved by `crop_offset`
    (x, y) times the side (a detector's framing, see `framing_for`). Parts outside the frame are
    black, as the page's crop fills them, so both paths see the same pixels.
    A square wider than `max_side` is returned shrunk to `max_side` (area averaging, as the
    classifier's own resize), so what it allocates is bounded whatever the box.
    `roll` (radians, the Detection's): the square turns with the face, so that its eyes come out
    level; the offset turns with it."""
    x, y, w, h = box[:4]
    side = max(1, int(round(max(w, h) * crop_scale)))
    if roll:
        return levelled_crop(rgb, (x + w / 2, y + h / 2), side, crop_offset, roll, max_side)
    x0 = int(round(x + w / 2 + crop_offset[0] * side - side / 2))
    y0 = int(round(y + h / 2 + crop_offset[1] * side - side / 2))
    height, width = rgb.shape[:2]
    sx0, sy0 = max(0, x0), max(0, y0)
    sx1, sy1 = min(width, x0 + side), min(height, y0 + side)
    factor = min(1.0, max_side / side)
    out_side = max(1, int(round(side * factor)))
    out = np.zeros((out_side, out_side) + rgb.shape[2:], rgb.dtype)
    if sx1 <= sx0 or sy1 <= sy0:
        return out
    if factor == 1.0:
        out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = rgb[sy0:sy1, sx0:sx1]
        return out
    # Where the frame's part of the square lands in the shrunk square (at least one pixel).
    ox0, oy0 = int((sx0 - x0) * factor), int((sy0 - y0) * factor)
    ox1 = min(out_side, max(ox0 + 1, int(round((sx1 - x0) * factor))))
    oy1 = min(out_side, max(oy0 + 1, int(round((sy1 - y0) * factor))))
    out[oy0:oy1, ox0:ox1] = cv2.resize(np.ascontiguousarray(rgb[sy0:sy1, sx0:sx1]), (ox1 - ox0, oy1 - oy0),
                                       interpolation=cv2.INTER_AREA).reshape((oy1 - oy0, ox1 - ox0) + rgb.shape[2:])
    return out


def levelled_crop(rgb: np.ndarray, centre, side: int, crop_offset, roll: float, max_side: int) -> np.ndarray:
    """square_crop's square turned by `roll` about its centre, sampled bilinearly (black outside the
    frame) at out = min(side, max_side) pixels a side. Output pixel (u, v) reads the frame at
    centre + R(roll) @ (((u, v) + 0.5) * side / out - side / 2), in pixel-centre coordinates
    (static/js/classifier.js samples the same points)."""
    cos, sin = np.cos(roll), np.sin(roll)
    turn = np.array([[cos, -sin], [sin, cos]])
    centre = np.asarray(centre, np.float64) + turn @ (np.asarray(crop_offset, np.float64) * side)
    out = max(1, min(side, max_side))
    step = side / out
    first = turn @ np.full(2, step / 2 - side / 2)  # output pixel (0, 0)'s centre, about the square's centre
    # OpenCV puts pixel centres at whole numbers, hence the -0.5.
    matrix = np.hstack([turn * step, (centre + first - 0.5)[:, None]])
    return cv2.warpAffine(rgb, matrix, (out, out), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
