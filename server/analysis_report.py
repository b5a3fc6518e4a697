"""What `python -m server.analyze` makes of its rows: the --summary JSON, the --plot timeline
(matplotlib), and the boxes drawn into --annotate's video (OpenCV's VideoWriter).

The summary and the plot are computed from the results file itself, so a run carried on with
--resume summarises everything, not only its own part.
"""
import json
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

# The page's face colours (static/js/ui.js COLORS), by face number, so face 1 has the same colour here.
COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45"]
# The page's chart colours by label index (static/js/chart.js LABEL_COLORS), so the plot reads like the page's chart.
LABEL_COLORS = ["#D55E00", "#009E73", "#CC79A7", "#E69F00", "#0072B2", "#56B4E9", "#7f7f7f"]
MAX_PLOTTED_FACES = 12   # the faces seen longest; a chart per face beyond that is unreadable


def face_color_bgr(number):
    value = COLORS[(number - 1) % len(COLORS)].lstrip("#")
    r, g, b = (int(value[i:i + 2], 16) for i in (0, 2, 4))
    return b, g, r


def group_faces(rows):
    """{source: {face number: [rows in frame order]}}, sources and faces in order of appearance."""
    faces = defaultdict(lambda: defaultdict(list))
    for row in rows:
        faces[row["source"]][row["face"]].append(row)
    return faces


def summarise(rows, labels, sources, settings) -> dict:
    """Per source and face: frames seen, first and last seen (ms), time in each expression (the
    face's label on an analysed frame counts for the sampling interval, `step_ms`), share of its
    frames per expression, and mean probabilities. `sources`: {name: {"kind", "fps", "step_ms",
    "analysed_frames", ...}} from the run; `settings`: what the run used, repeated for the record."""
    faces = group_faces(rows)
    out = {**settings, "sources": []}
    for name, info in sources.items():
        entry = {"source": name, **info, "faces": []}
        step_s = (info.get("step_ms") or 0) / 1000
        for number, face_rows in faces.get(name, {}).items():
            counts = {label: 0 for label in labels}
            for row in face_rows:
                counts[row["label"]] += 1
            probs = np.array([[row[label] for label in labels] for row in face_rows], np.float64)
            face = {"face": number, "frames": len(face_rows),
                    "first_seen_ms": face_rows[0]["time_ms"], "last_seen_ms": face_rows[-1]["time_ms"],
                    "frames_per_expression": counts,
                    "share_per_expression": {label: round(n / len(face_rows), 4) for label, n in counts.items()},
                    "mean_probabilities": {label: round(float(p), 4) for label, p in zip(labels, probs.mean(0))}}
            if info.get("kind") == "video":
                face["seconds_per_expression"] = {label: round(n * step_s, 3) for label, n in counts.items()}
            entry["faces"].append(face)
        out["sources"].append(entry)
    return out


def write_summary(path, summary):
    Path(path).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_plot(path, rows, labels, title=""):
    """Each face's probabilities over time, one chart per face of a video (the faces seen on the
    most frames first, at most MAX_PLOTTED_FACES), one line per expression. Returns how many
    faces were plotted."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    series = [(source, number, face_rows) for source, faces in group_faces(rows).items()
              for number, face_rows in faces.items() if len({r["frame"] for r in face_rows}) > 1]
    series = sorted(series, key=lambda s: -len(s[2]))[:MAX_PLOTTED_FACES]
    series.sort(key=lambda s: (s[0], s[1]))
    fig, axes = plt.subplots(max(1, len(series)), 1, figsize=(10, 2.2 * max(1, len(series)) + 0.6),
                             sharey=True, squeeze=False)
    for ax, (source, number, face_rows) in zip(axes[:, 0], series):
        t = np.array([r["time_ms"] for r in face_rows]) / 1000
        for k, label in enumerate(labels):
            ax.plot(t, [r[label] for r in face_rows], label=label, color=LABEL_COLORS[k % len(LABEL_COLORS)],
                    linewidth=1.2)
        ax.set_title(f"{Path(source).name}: face {number}", fontsize=9, loc="left", color=COLORS[(number - 1) % 8])
        ax.set_ylim(0, 1)
        ax.set_ylabel("probability")
        ax.grid(alpha=0.3)
    if series:
        axes[-1, 0].set_xlabel("time (s)")
        handles, names = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, names, ncol=len(labels), fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 0.97))
    else:
        axes[0, 0].text(0.5, 0.5, "no face seen on two frames of a video", ha="center", va="center")
        axes[0, 0].set_axis_off()
    if title:
        fig.suptitle(title, fontsize=9, y=0.995)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.75 / fig.get_figheight()))  # room for the title and legend
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return len(series)


class Annotator:
    """Writes a video's frames with each face's numbered box and label drawn, at the source's
    frame rate and size. Frames between analysed ones show the last analysed frame's faces."""

    FOURCC = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "MJPG"}

    def __init__(self, path, fps, width, height):
        self.path = Path(path)
        fourcc = self.FOURCC.get(self.path.suffix.lower())
        if fourcc is None:
            raise ValueError(f"{self.path}: expected an .mp4, .avi, .mov or .mkv file name for the annotated video")
        self.writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*fourcc), fps or 30.0, (width, height))
        if not self.writer.isOpened():
            raise ValueError(f"{self.path}: OpenCV could not open it for writing ({fourcc} video)")
        self.faces = []

    def write(self, rgb, faces=None):
        """One frame; `faces` [(number, face)] when it was analysed, None to keep the last ones."""
        if faces is not None:
            self.faces = faces
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        scale = max(0.4, bgr.shape[0] / 720)
        for number, face in self.faces:
            x, y, w, h = face["box"]
            color = face_color_bgr(number)
            cv2.rectangle(bgr, (x, y), (x + w, y + h), color, max(1, round(2 * scale)))
            caption = f"{number}: {face['label']} {face['confidence'] * 100:.0f}%"
            (tw, th), base = cv2.getTextSize(caption, cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale, 1)
            top = max(0, y - th - base - 4)
            cv2.rectangle(bgr, (x, top), (x + tw + 6, top + th + base + 4), color, -1)
            cv2.putText(bgr, caption, (x + 3, top + th + 2), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale,
                        (255, 255, 255), 1, cv2.LINE_AA)
        self.writer.write(bgr)

    def close(self):
        self.writer.release()
