"""Face numbers that hold from frame to frame of a recording, and the page's label smoothing.

Faces are matched to the faces of earlier frames by box overlap, greedily, best overlap first,
as static/js/smoothing.js matches them on the page. A face keeps its number while it stays in
view; one the detector misses keeps it for `keep_ms`, and a face that appears gets the next one.

Smoothing, off unless `half_life_ms` > 0, is the page's: an exponential moving average of each
face's probabilities with a half-life in milliseconds, whose history a face keeps for two
half-lives after it was last seen.
"""
from dataclasses import dataclass

import numpy as np

from server.boxes import iou

MIN_IOU = 0.3     # the page's minIou: less overlap than this is another face
KEEP_MS = 1000    # a face missed for longer than this gets a new number when it comes back


@dataclass
class Track:
    number: int
    box: tuple
    t: float                   # ms, when last seen
    probs: np.ndarray = None   # smoothed probabilities; None when smoothing is off or its history lapsed
    missed: int = 0            # analysed frames since last seen


class FaceTracker:
    """`update(faces, t)`: one analysed frame's faces (the server's result["faces"]) at `t` ms ->
    [(face number, face)], in the order given; with smoothing on, each face's label, confidence
    and probabilities are the smoothed ones."""

    def __init__(self, labels, half_life_ms=0.0, min_iou=MIN_IOU, keep_ms=KEEP_MS):
        if half_life_ms < 0:
            raise ValueError(f"expected a smoothing half-life >= 0 ms, got {half_life_ms}")
        self.labels = list(labels)
        self.half_life_ms, self.min_iou, self.keep_ms = half_life_ms, min_iou, keep_ms
        self.tracks = []
        self.next_number = 1

    def restore(self, faces, t):
        """Carry on after a saved frame: `faces` [(number, face)] as written at `t` ms (used by
        --resume; the saved probabilities stand for the smoothing history)."""
        for number, face in faces:
            probs = np.array([face["probabilities"][label] for label in self.labels], np.float64)
            self.tracks.append(Track(number, tuple(face["box"]), t, probs if self.half_life_ms else None))
            self.next_number = max(self.next_number, number + 1)

    def update(self, faces, t):
        # A track is a candidate while it was seen on the previous analysed frame (however sparse
        # the sampling) or within keep_ms.
        live = [tr for tr in self.tracks if tr.missed == 0 or t - tr.t <= self.keep_ms]
        pairs = sorted(((iou(face["box"], tr.box), i, k) for i, face in enumerate(faces)
                        for k, tr in enumerate(live)), key=lambda p: -p[0])
        track_of, taken = {}, set()
        for overlap, i, k in pairs:
            if overlap >= self.min_iou and i not in track_of and k not in taken:
                track_of[i] = k
                taken.add(k)
        out, seen = [], []
        for i, face in enumerate(faces):
            if i in track_of:
                track = live[track_of[i]]
            else:
                track = Track(self.next_number, tuple(face["box"]), t)
                self.next_number += 1
            face = self._smooth(face, track, t)
            track.box, track.t, track.missed = tuple(face["box"]), t, 0
            seen.append(track)
            out.append((track.number, face))
        missed = [tr for k, tr in enumerate(live) if k not in taken]
        for track in missed:
            track.missed += 1
            if self.half_life_ms and t - track.t >= 2 * self.half_life_ms:
                track.probs = None  # as the page forgets a face's history after two half-lives
        self.tracks = seen + missed
        return out

    def _smooth(self, face, track, t):
        if not self.half_life_ms:
            return face
        probs = np.array([face["probabilities"][label] for label in self.labels], np.float64)
        if track.probs is not None:
            keep = 0.5 ** (max(0.0, t - track.t) / self.half_life_ms)
            probs = keep * track.probs + (1 - keep) * probs
        track.probs = probs
        best = int(np.argmax(probs))
        return {**face, "label": self.labels[best], "confidence": round(float(probs[best]), 4),
                "probabilities": {label: round(float(p), 4) for label, p in zip(self.labels, probs)}}
