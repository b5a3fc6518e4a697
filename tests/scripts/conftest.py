"""The training tests' small FER2013 CSV, for the tooling that packs it."""
from tests.training.conftest import small_data  # noqa: F401
