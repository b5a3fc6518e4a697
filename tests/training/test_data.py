"""FER2013 loaders: CSV, gzip, image folders, and a clear error for each kind of bad data."""
import gzip

import cv2
import numpy as np
import pytest

from training.data import DataError, label_counts, load, load_split, random_split, save_npz, split_of_file
from training.preprocessing import LABELS

HEADER = "emotion,pixels,Usage\n"


def face(seed, size=48):
    return np.random.default_rng(seed).integers(0, 256, (size, size), dtype=np.uint8)


def csv_row(label, pixels, usage):
    return f"{label},{' '.join(map(str, pixels.ravel()))},{usage}\n"


@pytest.fixture
def rows():
    """Six faces: two per official split, with known pixels and labels."""
    usages = ["Training", "Training", "PublicTest", "PublicTest", "PrivateTest", "PrivateTest"]
    return [(i % 7, face(i), u) for i, u in enumerate(usages)]


def write_csv(path, rows, extra=""):
    path.write_text(HEADER + "".join(csv_row(*r) for r in rows) + extra)
    return path


def test_csv_loads_every_split_with_exact_pixels(tmp_path, rows):
    data = load(write_csv(tmp_path / "fer.csv", rows))
    assert list(data) == ["Training", "PublicTest", "PrivateTest"]
    np.testing.assert_array_equal(data["PublicTest"].x[1], rows[3][1])
    assert data["Training"].y.tolist() == [0, 1]
    assert data["PrivateTest"].x.dtype == np.uint8 and data["PrivateTest"].x.shape == (2, 48, 48)


def test_load_split_returns_one_split_or_names_the_ones_found(tmp_path, rows):
    path = write_csv(tmp_path / "fer.csv", rows[:2])  # Training only
    np.testing.assert_array_equal(load_split(path, "Training").x[1], rows[1][1])
    with pytest.raises(DataError, match=r"no PublicTest split; found \['Training'\]"):
        load_split(path, "PublicTest")


def test_gzip_csv_gives_the_same_data(tmp_path, rows):
    plain = write_csv(tmp_path / "fer.csv", rows)
    packed = tmp_path / "fer.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    a, b = load(plain), load(packed)
    for split in a:
        np.testing.assert_array_equal(a[split].x, b[split].x)
        np.testing.assert_array_equal(a[split].y, b[split].y)


@pytest.mark.parametrize("bad_row, message", [
    ("3," + " ".join(["1"] * 100) + ",Training\n", "expected 2304 pixel values, got 100"),
    ("9," + " ".join(["1"] * 2304) + ",Training\n", "unknown label '9'"),
    ("x," + " ".join(["1"] * 2304) + ",Training\n", "unknown label 'x'"),
    ("3," + " ".join(["300"] * 2304) + ",Training\n", "must be in 0..255"),
    ("3," + " ".join(["1.5"] * 2304) + ",Training\n", "must be integers"),
    ("3\n", "expected 'emotion,pixels[,Usage]'"),
])
def test_bad_csv_row_names_file_and_line(tmp_path, rows, bad_row, message):
    path = write_csv(tmp_path / "fer.csv", rows[:2], extra=bad_row)
    with pytest.raises(DataError) as err:
        load(path)
    assert f"{path}:4:" in str(err.value)  # header, two good rows, then the bad one
    assert message in str(err.value)


def test_npz_round_trip_and_a_bad_npz_is_an_error(tmp_path, rows):
    data = load(write_csv(tmp_path / "fer.csv", rows))
    save_npz(data, tmp_path / "fer.npz")
    again = load(tmp_path / "fer.npz")
    assert list(again) == list(data)
    for name in data:
        np.testing.assert_array_equal(again[name].x, data[name].x)
        np.testing.assert_array_equal(again[name].y, data[name].y)
    np.savez(tmp_path / "wrong.npz", Training_x=np.zeros((2, 32, 32), np.uint8), Training_y=np.zeros(2))
    with pytest.raises(DataError, match="wrong.npz: split Training has faces uint8 \\(2, 32, 32\\)"):
        load(tmp_path / "wrong.npz")
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(DataError, match="junk.npz: not a dataset"):
        load(tmp_path / "junk.npz")


def test_bad_header_and_missing_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(DataError, match="expected header 'emotion,pixels,Usage'"):
        load(path)
    with pytest.raises(DataError, match="no such file"):
        load(tmp_path / "missing.csv")


def test_truncated_gzip_is_a_clear_error(tmp_path, rows):
    plain = write_csv(tmp_path / "fer.csv", rows)
    packed = tmp_path / "fer.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes())[:500])
    with pytest.raises(DataError, match="cannot read"):
        load(packed)


def write_image(path, pixels):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), pixels)


def test_image_folder_release_keeps_the_official_split(tmp_path):
    write_image(tmp_path / "train" / "happy" / "Training_1.png", face(1))
    write_image(tmp_path / "train" / "sad" / "Training_2.png", face(2))
    write_image(tmp_path / "test" / "angry" / "PublicTest_3.png", face(3))
    write_image(tmp_path / "test" / "fear" / "PrivateTest_4.png", face(4))
    data = load(tmp_path)
    assert sorted(data) == ["PrivateTest", "PublicTest", "Training"]
    assert [LABELS[i] for i in data["Training"].y] == ["happy", "sad"]
    np.testing.assert_array_equal(data["PublicTest"].x[0], face(3))  # PNG is lossless


def test_folder_without_prefixes_and_bare_class_folder(tmp_path):
    write_image(tmp_path / "a" / "train" / "happy" / "x.png", face(1))
    write_image(tmp_path / "a" / "test" / "surprise" / "y.png", face(2))
    assert sorted(load(tmp_path / "a")) == ["Test", "Training"]
    write_image(tmp_path / "b" / "neutral" / "z.png", face(3, size=96))  # resized to 48x48
    data = load(tmp_path / "b")
    assert list(data) == ["all"] and data["all"].x.shape == (1, 48, 48)


def test_unreadable_image_and_unknown_class_are_errors(tmp_path):
    bad = tmp_path / "a" / "happy" / "broken.jpg"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not a jpeg at all")
    with pytest.raises(DataError, match=f"{bad}: unreadable image"):
        load(tmp_path / "a")
    write_image(tmp_path / "b" / "bored" / "x.png", face(1))
    with pytest.raises(DataError, match="unknown class folder 'bored'"):
        load(tmp_path / "b")


def test_split_of_file_and_random_split(tmp_path, rows):
    assert split_of_file("PrivateTest_88.jpg", "Test") == "PrivateTest"
    assert split_of_file("im12.jpg", "Test") == "Test"
    data = load(write_csv(tmp_path / "fer.csv", rows * 5))
    parts = random_split(data, fraction=0.2, seed=0)
    assert len(parts["Training"]) == 24 and len(parts["Validation"]) == 6
    again = random_split(data, fraction=0.2, seed=0)
    np.testing.assert_array_equal(parts["Validation"].x, again["Validation"].x)
    assert sum(label_counts(parts["Training"]).values()) == 24


def test_real_fer2013_matches_its_readme(fer2013):
    counts = {split: len(s) for split, s in fer2013.items()}
    assert counts == {"Training": 28709, "PublicTest": 3589, "PrivateTest": 3589}
    assert label_counts(fer2013["Training"])["disgust"] == 436
    assert label_counts(fer2013["PrivateTest"])["happy"] == 879


def test_a_missing_data_file_says_where_fer2013_goes(tmp_path):
    from training.data import DEFAULT_DATA, DataError, load

    with pytest.raises(DataError, match="FER2013 is not shipped") as e:
        load(tmp_path / "fer2013.csv.gz")
    assert str(DEFAULT_DATA) in str(e.value) and "--data FILE" in str(e.value)
