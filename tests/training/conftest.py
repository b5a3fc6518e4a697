"""Fixtures shared by the training tests."""
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
