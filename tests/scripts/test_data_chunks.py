"""Packing FER2013 into parts for an offline machine, and joining them there."""
import json
import subprocess
import sys

import numpy as np
import pytest

from training.data import load
from scripts.data_chunks import INDEX, ChunkError, join, main, pack


def test_parts_fit_the_limit_and_join_back_to_the_same_faces(small_data, tmp_path):
    dataset = load(small_data)
    kept = {name: dataset[name] for name in ("Training", "PublicTest")}
    paths = pack(kept, tmp_path / "parts", part_bytes=40_000)

    sizes = [p.stat().st_size for p in paths]
    assert len(paths) >= 3 and max(sizes) <= 40_000
    assert max(sizes) - min(sizes) <= 1  # equal parts, so each call carries about the same
    index = join(tmp_path / "parts", tmp_path / "fer.npz")
    assert index["faces"] == {"Training": 192, "PublicTest": 64}

    again = load(tmp_path / "fer.npz")
    assert list(again) == ["Training", "PublicTest"]  # PrivateTest never travels
    for name, split in kept.items():
        np.testing.assert_array_equal(again[name].x, split.x)
        np.testing.assert_array_equal(again[name].y, split.y)


def test_a_missing_or_foreign_part_is_named_and_nothing_is_written(small_data, tmp_path):
    dataset = load(small_data)
    paths = pack({"Training": dataset["Training"]}, tmp_path / "a", part_bytes=40_000)
    out = tmp_path / "fer.npz"

    paths[1].unlink()
    with pytest.raises(ChunkError, match=r"missing fer.part-001 of \d+ parts"):
        join(tmp_path / "a", out)

    # A part from another pack (other faces) has the right name but not the packed stream.
    other = pack({"Training": dataset["Training"].take(slice(0, 100))}, tmp_path / "b", part_bytes=40_000)
    paths[1].write_bytes(other[1].read_bytes())
    with pytest.raises(ChunkError, match="SHA-256 differs"):
        join(tmp_path / "a", out)
    assert not out.exists()

    (tmp_path / "a" / INDEX).write_text("{")
    with pytest.raises(ChunkError, match="cannot read the index"):
        join(tmp_path / "a", out)


def test_command_line_packs_the_asked_splits_and_joins_without_our_stack(small_data, tmp_path, capsys):
    main(["pack", "--data", str(small_data), "--splits", "PublicTest", "--out", str(tmp_path / "p"),
          "--part-mib", "0.02"])
    assert "fer.part-001" in capsys.readouterr().out
    assert json.loads((tmp_path / "p" / INDEX).read_text())["faces"] == {"PublicTest": 64}

    # join runs where neither NumPy's stack of ours nor TensorFlow is wanted: block both imports.
    code = ("import sys; sys.modules['numpy'] = None; sys.modules['training.data'] = None; "
            "from scripts.data_chunks import main; main(sys.argv[1:])")
    done = subprocess.run([sys.executable, "-c", code, "join", str(tmp_path / "p"), "--out", str(tmp_path / "f.npz")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "'PublicTest': 64" in done.stdout
    assert len(load(tmp_path / "f.npz")["PublicTest"]) == 64

    with pytest.raises(SystemExit, match="no PrivateTest split"):
        main(["pack", "--data", str(tmp_path / "f.npz"), "--splits", "PrivateTest", "--out", str(tmp_path / "q")])
