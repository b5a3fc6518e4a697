"""Test infrastructure shared by the test folders (and used by the benchmarks): live servers, scenes and
frames with known faces, encoded images, short videos."""
