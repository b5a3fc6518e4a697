"""Fixtures shared by every test folder: the repo paths, FER2013 (skipped cleanly when absent), and the
`live` marker on tests that start a server process."""
from pathlib import Path

import pytest

from training.data import DEFAULT_DATA

ROOT = Path(__file__).resolve().parents[1]
FER2013_CSV = DEFAULT_DATA
DEFAULT_MODEL_DIR = ROOT / "models" / "resnet_slim"  # what the server serves unless told otherwise
RESNET_MODEL_DIR = ROOT / "models" / "resnet"  # the default's teacher, what `make train` builds
CROWD_MODEL_DIR = ROOT / "models" / "resnet_tiny"  # what the page classifies three or more faces with
# Fixtures that start a server process (tests/server/conftest.py, tests/browser/conftest.py).
LIVE_FIXTURES = {"live", "live_haar", "live_servers", "live_app"}


def pytest_collection_modifyitems(items):
    """Mark `live` the tests that start a server: through a live fixture, or in a test_*live*.py file
    (where tests may start their own), so `make test-fast` can leave them out."""
    for item in items:
        if LIVE_FIXTURES & set(getattr(item, "fixturenames", ())) or "live" in Path(str(item.fspath)).stem:
            item.add_marker(pytest.mark.live)


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


@pytest.fixture(scope="session")
def playwright_instance():
    """The one Playwright of the test session: a second sync_playwright() in the same thread fails
    ("Sync API inside the asyncio loop"), so every folder's browser tests share this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p
