"""The rows `python -m server.analyze` writes (CSV or JSON Lines), and reading them back for
--resume, --summary and --plot.

One row per face per analysed frame:
    source, frame, time_ms, face, x, y, w, h, label, confidence, <one column per label>, smoothing_ms
The probability columns are the model manifest's labels, in its order. `smoothing_ms` is the
half-life of the label smoothing applied (0: none, the probabilities are the model's own).
Each frame's rows are written in one go and flushed, so a run cut short keeps every frame it did.
"""
import csv
import io
import json
from pathlib import Path

FORMATS = {".csv": "csv", ".jsonl": "jsonl"}
INTS = ("frame", "face", "x", "y", "w", "h")


class OutputError(Exception):
    """An output file that cannot be written or resumed; str() names it."""


def columns(labels):
    return ["source", "frame", "time_ms", "face", "x", "y", "w", "h", "label", "confidence", *labels, "smoothing_ms"]


def output_format(path) -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise OutputError(f"{path}: expected a .csv or .jsonl file name for the results")
    return fmt


def make_row(source, frame, time_ms, number, face, labels, smoothing_ms) -> dict:
    """One face of the server's result (box, label, confidence, probabilities) -> a row."""
    x, y, w, h = face["box"]
    return {"source": source, "frame": frame, "time_ms": time_ms, "face": number, "x": x, "y": y, "w": w, "h": h,
            "label": face["label"], "confidence": face["confidence"],
            **{label: face["probabilities"][label] for label in labels}, "smoothing_ms": smoothing_ms}


def frame_rows(source, frame, numbered_faces, labels, smoothing_ms) -> list:
    """One analysed frame's faces [(number, face)] (from FaceTracker.update) -> its rows."""
    return [make_row(source, frame.index, frame.time_ms, number, face, labels, smoothing_ms)
            for number, face in numbered_faces]


def row_face(row, labels) -> dict:
    """A row -> the face as the server returns it (box, label, confidence, probabilities)."""
    return {"box": [row["x"], row["y"], row["w"], row["h"]], "label": row["label"], "confidence": row["confidence"],
            "probabilities": {label: row[label] for label in labels}}


class RowWriter:
    """Appends rows to a CSV or JSONL file; writes the CSV header when the file is new."""

    def __init__(self, path, labels, append=False):
        self.path, self.format, self.columns = Path(path), output_format(path), columns(labels)
        try:
            self.file = open(self.path, "a" if append else "w", newline="", encoding="utf-8")
        except OSError as error:
            raise OutputError(f"{self.path}: cannot write the results: {error.strerror or error}") from None
        if self.format == "csv" and self.file.tell() == 0:
            self.file.write(",".join(self.columns) + "\r\n")
            self.file.flush()

    def write(self, rows):
        if not rows:
            return
        buffer = io.StringIO()
        if self.format == "csv":
            csv.DictWriter(buffer, self.columns).writerows(rows)
        else:
            buffer.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        self.file.write(buffer.getvalue())  # a frame's rows in one write, so an interruption cuts at most a line
        self.file.flush()

    def close(self):
        self.file.close()


def read_rows(path, labels) -> list:
    """The rows of a results file, typed as written; a last line cut short by an interruption is ignored."""
    path = Path(path)
    fmt, expected = output_format(path), columns(labels)
    text = path.read_text(encoding="utf-8")
    if text and not text.endswith("\n"):
        text = text[:text.rfind("\n") + 1]
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        if text and reader.fieldnames != expected:
            raise OutputError(f"{path}: its columns {reader.fieldnames} are not this model's {expected}")
        rows = list(reader)
        for row in rows:
            for key in expected[2:]:
                if key != "label":
                    row[key] = int(row[key]) if key in INTS else float(row[key])
            row["frame"] = int(row["frame"])
        return rows
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    for row in rows:
        if list(row) != expected:
            raise OutputError(f"{path}: its rows have keys {list(row)}, not this model's {expected}")
    return rows


def prepare_resume(path, labels, smoothing_ms) -> list:
    """For --resume: the rows already in `path` (cutting off a partly written last line so that
    appending goes on cleanly). Refuses a file written with other labels or another smoothing."""
    path = Path(path)
    if not path.exists():
        return []
    rows = read_rows(path, labels)
    with open(path, "rb+") as file:  # drop a partial last line, if the run was cut mid-write
        data = file.read()
        if data and not data.endswith(b"\n"):
            file.truncate(data.rfind(b"\n") + 1)
    smoothing = {row["smoothing_ms"] for row in rows}
    if smoothing and smoothing != {smoothing_ms}:
        raise OutputError(f"{path}: written with smoothing_ms {sorted(smoothing)}, this run asks for "
                          f"{smoothing_ms}; resume with the same --smooth-ms, or write to another file")
    return rows
