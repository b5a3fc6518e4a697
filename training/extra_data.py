"""The data beyond FER2013's own labels: FER+ crowd votes and face sets stored as `.npz` arrays.

- FER+ (`ferplus.csv`, Barsoum et al. 2016): ten raters' votes for every FER2013 row, aligned row
  by row with our CSVs. Training uses the votes as soft targets (FER+'s "probability" scheme);
  benchmarks use the raters' majority.
- Face sets such as SFEW 2.0 and the NimStim subset (`sfew.npz`, `nimstim_subset.npz`): arrays
  `<split>_x` (N, H, W) uint8 gray and `<split>_y` in our label order. A face that is not square
  is cropped to its centre square, never squashed, then resized to the model's input.

Every loader returns a `training.data.Split`, or raises `DataError` naming the file.
"""
import csv
from pathlib import Path

import numpy as np

from training.data import DataError, Split
from training.preprocessing import LABELS, NUM_CLASSES, resize

# FER+ vote columns, in ferplus.csv's order, and where each lands in our label order (None: dropped).
FERPLUS_COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
                   "contempt", "unknown", "NF")
_OURS = {"anger": "angry", "disgust": "disgust", "fear": "fear", "happiness": "happy", "sadness": "sad",
         "surprise": "surprise", "neutral": "neutral"}
FERPLUS_TO_OURS = [LABELS.index(_OURS[c]) if c in _OURS else None for c in FERPLUS_COLUMNS]
_NOT_AN_EXPRESSION = [i for i, c in enumerate(FERPLUS_COLUMNS) if c in ("unknown", "NF")]


def load_ferplus_votes(path) -> tuple:
    """(votes (N, 10) float32, usage (N,) str) from ferplus.csv; rows without votes are all zero."""
    path = Path(path)
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in ("Usage", *FERPLUS_COLUMNS) if c not in (reader.fieldnames or [])]
            if missing:
                raise DataError(f"{path}: not a FER+ vote file: no column(s) {missing}")
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"{path}: cannot read: {e}") from e
    votes = np.array([[float(r[c] or 0) for c in FERPLUS_COLUMNS] for r in rows], np.float32)
    return votes, np.array([r["Usage"] for r in rows])


def ferplus_votes_for(path, usage) -> np.ndarray:
    """The votes of one split (`usage`: "Training", "PublicTest", "PrivateTest"), in file order,
    which is the order training.data.load gives that split's faces."""
    votes, usages = load_ferplus_votes(path)
    return votes[usages == usage]


def ferplus_majority(votes) -> tuple:
    """(labels in our order, keep mask): the raters' majority, as FER+'s test protocol scores it.
    Dropped: faces without votes, ties for the most votes, and majorities of contempt (not one of
    our seven), unknown or not-a-face."""
    votes = np.asarray(votes, np.float32)
    top = votes.max(axis=1, keepdims=True)
    winner = votes.argmax(axis=1)
    mapped = np.array([FERPLUS_TO_OURS[w] if FERPLUS_TO_OURS[w] is not None else -1 for w in winner])
    keep = (top[:, 0] > 0) & ((votes == top).sum(axis=1) == 1) & (mapped >= 0)
    return np.where(keep, mapped, 0), keep


def ferplus_soft_targets(votes) -> tuple:
    """(targets (N, 7) in our order, keep mask), after FER+'s "probability" scheme: single votes
    are outliers and go; the largest emotions are kept until they hold 75% of the votes (three at
    most); a face whose kept votes include unknown or not-a-face is dropped. Contempt, which our
    labels lack, gives its votes up; a face with nothing left is dropped."""
    raw = np.where(np.asarray(votes, np.float32) > 1, votes, 0).astype(np.float32)
    kept = np.zeros_like(raw)
    valid = np.ones(len(raw), bool)
    total = raw.sum(axis=1)
    remaining = raw.copy()
    for _ in range(3):
        open_ = kept.sum(axis=1) < 0.75 * total
        peak = remaining.max(axis=1, keepdims=True)
        take = (remaining == peak) & (peak > 0) & open_[:, None]
        kept += np.where(take, remaining, 0)
        remaining = np.where(take, 0, remaining)
    valid &= kept[:, _NOT_AN_EXPRESSION].sum(axis=1) == 0
    targets = np.zeros((len(raw), NUM_CLASSES), np.float32)
    for column, ours in enumerate(FERPLUS_TO_OURS):
        if ours is not None:
            targets[:, ours] += kept[:, column]
    sums = targets.sum(axis=1)
    keep = valid & (sums > 0)
    targets = np.divide(targets, sums[:, None], out=np.zeros_like(targets), where=keep[:, None])
    return targets, keep


def blend_targets(ferplus, one_hot, ferplus_weight):
    """Blended targets: `ferplus_weight` of the raters' distribution plus the rest of FER2013's
    one-hot label, per face (1: the raters alone, 0: FER2013's labels alone)."""
    if not 0 <= ferplus_weight <= 1:
        raise ValueError(f"FER+ weight {ferplus_weight}: expected a share between 0 and 1")
    return (ferplus_weight * np.asarray(ferplus, np.float32) + (1 - ferplus_weight) * one_hot).astype(np.float32)


def ferplus_training_targets(train: Split, votes, ferplus_weight=1.0) -> tuple:
    """(faces kept, targets (N, 7)) for FER2013's Training faces and their FER+ `votes`: the raters'
    distribution (ferplus_soft_targets) blended with FER2013's label by `ferplus_weight`; FER2013's
    label alone where FER+ has no votes. Faces the raters call unknown or not-a-face are dropped."""
    if len(votes) != len(train):
        raise DataError(f"{len(votes)} FER+ vote rows against {len(train)} Training faces; "
                        "the two files must be aligned row by row")
    soft, keep = ferplus_soft_targets(votes)
    has_votes = np.asarray(votes).sum(axis=1) > 0
    one_hot = np.eye(NUM_CLASSES, dtype=np.float32)[train.y]
    targets = np.where(has_votes[:, None], blend_targets(soft, one_hot, ferplus_weight), one_hot)
    keep = keep | ~has_votes  # FER2013's own label where FER+ has none
    return train.take(keep), targets[keep]


def with_face_sets(train: Split, targets, specs) -> tuple:
    """`train` and its `targets` with the face sets `specs` ("path.npz[:repeat]", their train split)
    added, each face set repeated `repeat` times (default 1) with one-hot targets."""
    for spec in specs:
        path, _, repeat = spec.partition(":")
        extra = load_face_npz(path, "train")
        extra = extra.take(np.tile(np.arange(len(extra)), int(repeat or 1)))
        train = Split(np.concatenate([train.x, extra.x]), np.concatenate([train.y, extra.y]))
        targets = np.concatenate([targets, np.eye(NUM_CLASSES, dtype=np.float32)[extra.y]])
    return train, targets


def load_face_npz(path, split="train") -> Split:
    """One split of a face-set .npz (`<split>_x` gray uint8 (N, H, W), `<split>_y`) as 48x48 faces."""
    path = Path(path)
    try:
        with np.load(path) as arrays:
            x, y = arrays[f"{split}_x"], arrays[f"{split}_y"].astype(np.int64)
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: cannot read: {e}") from e
    except KeyError:
        raise DataError(f"{path}: no arrays {split}_x and {split}_y") from None
    if x.dtype != np.uint8 or x.ndim != 3 or len(x) != len(y):
        raise DataError(f"{path}: {split}_x is {x.dtype} {x.shape} with {len(y)} labels; "
                        "expected uint8 (N, H, W) and N labels")
    if len(y) and not (0 <= y.min() and y.max() < NUM_CLASSES):
        raise DataError(f"{path}: {split}_y has labels outside 0..{NUM_CLASSES - 1}")
    return Split(np.stack([to_input_size(face) for face in x]) if len(x) else x[:, :48, :48], y)


def to_input_size(face: np.ndarray) -> np.ndarray:
    """A gray face of any shape -> the model's input size: centre square crop, then area resize."""
    h, w = face.shape
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = face[top:top + side, left:left + side].astype(np.float32)
    return np.clip(np.rint(resize(square)), 0, 255).astype(np.uint8)
