"""The training tests' small FER2013 CSV, for the studies that read one."""
from tests.training.conftest import small_data  # noqa: F401
