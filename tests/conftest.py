"""Fixtures shared by every test folder: the repo paths, FER2013 (skipped cleanly when absent)."""
from pathlib import Path

import pytest

from training.data import DEFAULT_DATA

ROOT = Path(__file__).resolve().parents[1]
FER2013_CSV = DEFAULT_DATA
DEFAULT_MODEL_DIR = ROOT / "models" / "default"


@pytest.fixture(scope="session")
def fer2013():
    """The full FER2013 dataset {split: Split}, loaded once per test session; skips when absent."""
    if not FER2013_CSV.exists():
        pytest.skip(f"FER2013 not found at {FER2013_CSV}")
    from training.data import load

    return load(FER2013_CSV)


@pytest.fixture(scope="session")
def public_test_faces(fer2013):
    """The first 256 PublicTest faces (uint8 (N, 48, 48)) and labels."""
    return fer2013["PublicTest"].take(slice(0, 256))
