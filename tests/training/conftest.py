"""Fixtures shared by the training tests."""
import csv

import numpy as np
import pytest

from tests.conftest import FER2013_CSV


@pytest.fixture(scope="session")
def small_data(tmp_path_factory):
    """A small FER2013 CSV: real faces when ../shared is present, else generated ones."""
    path = tmp_path_factory.mktemp("data") / "small.csv"
    rows = []
    if FER2013_CSV.exists():
        from training.data import load

        data = load(FER2013_CSV)
        for split, n in (("Training", 192), ("PublicTest", 64), ("PrivateTest", 64)):
            s = data[split]
            rows += [(int(y), x, split) for x, y in zip(s.x[:n], s.y[:n])]
    else:
        rng = np.random.default_rng(0)
        for split, n in (("Training", 192), ("PublicTest", 64), ("PrivateTest", 64)):
            rows += [(int(rng.integers(7)), rng.integers(0, 256, (48, 48)), split) for _ in range(n)]
    with open(path, "w") as f:
        f.write("emotion,pixels,Usage\n")
        f.writelines(f"{y},{' '.join(map(str, x.ravel()))},{u}\n" for y, x, u in rows)
    return path


@pytest.fixture(scope="session")
def small_votes(small_data, tmp_path_factory):
    """A FER+ vote file aligned row by row with `small_data`: each face's own label gets most votes,
    except every fifth face, whose raters' majority is another class."""
    from training.data import load
    from training.extra_data import FERPLUS_COLUMNS
    from training.preprocessing import LABELS

    column_of = {"angry": "anger", "disgust": "disgust", "fear": "fear", "happy": "happiness", "sad": "sadness",
                 "surprise": "surprise", "neutral": "neutral"}
    rng = np.random.default_rng(0)
    rows = []
    for usage, split in load(small_data).items():
        for i, y in enumerate(split.y):
            counts = dict.fromkeys(FERPLUS_COLUMNS, 0)
            counts[column_of[LABELS[(y + 1) % 7] if i % 5 == 0 else LABELS[y]]] = 8
            counts[FERPLUS_COLUMNS[rng.integers(7)]] += 2
            rows.append({"Usage": usage, **counts})
    path = tmp_path_factory.mktemp("ferplus") / "ferplus.csv"
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, ["row", "Usage", *FERPLUS_COLUMNS])
        writer.writeheader()
        writer.writerows({"row": i, **r} for i, r in enumerate(rows))
    return path


@pytest.fixture(scope="session")
def small_face_set(tmp_path_factory):
    """A face-set .npz like sfew.npz: ten 121x96 faces in train_x, labels in train_y."""
    rng = np.random.default_rng(1)
    path = tmp_path_factory.mktemp("faces") / "extra.npz"
    np.savez(path, train_x=rng.integers(0, 256, (10, 121, 96), dtype=np.uint8), train_y=np.arange(10) % 7)
    return path
