"""FER+ votes, face-set .npz files and the benchmark loader: known cases, and the real files when present."""
import numpy as np
import pytest

from training.benchmarks import BENCHMARKS, expected_calibration_error, load_benchmark, run_benchmarks, score
from training.data import DataError
from training.extra_data import (FERPLUS_COLUMNS, ferplus_majority, ferplus_soft_targets, load_face_npz,
                                 load_ferplus_votes)
from training.preprocessing import LABELS

from tests.conftest import ROOT

DATASETS = ROOT.parent / "shared" / "datasets"


def votes(**counts):
    """One FER+ vote row from column names, e.g. votes(happiness=9, unknown=1)."""
    return [counts.get(c, 0) for c in FERPLUS_COLUMNS]


def test_majority_follows_ferplus_test_protocol():
    rows = np.array([votes(happiness=9, unknown=1), votes(neutral=5, sadness=5), votes(contempt=6, neutral=4),
                     votes(NF=10), votes(), votes(anger=4, disgust=3, fear=3)], np.float32)
    labels, keep = ferplus_majority(rows)
    assert keep.tolist() == [True, False, False, False, False, True]  # ties, contempt, not-a-face, no votes
    assert [LABELS[i] for i in labels[keep]] == ["happy", "angry"]


def test_soft_targets_drop_single_votes_and_unknown_faces():
    rows = np.array([votes(neutral=8, sadness=1, fear=1),        # single votes are outliers
                     votes(happiness=5, surprise=4, unknown=1),   # two emotions hold 90%
                     votes(neutral=4, unknown=3, sadness=3),      # unknown among the top: dropped
                     votes(contempt=6, neutral=4),                # contempt gives its votes up
                     votes(contempt=10)], np.float32)             # nothing of ours is left
    targets, keep = ferplus_soft_targets(rows)
    assert keep.tolist() == [True, True, False, True, False]
    assert targets[0] == pytest.approx(np.eye(7)[LABELS.index("neutral")])
    assert targets[1][LABELS.index("happy")] == pytest.approx(5 / 9)
    assert targets[1][LABELS.index("surprise")] == pytest.approx(4 / 9)
    assert targets[3] == pytest.approx(np.eye(7)[LABELS.index("neutral")])
    assert np.allclose(targets[keep].sum(axis=1), 1) and not targets[~keep].any()


def test_a_tall_face_is_cropped_to_its_centre_square_not_squashed(tmp_path):
    face = np.zeros((120, 60), np.uint8)
    face[30:90] = 200  # the centre square is all 200; squashing would bring the black bands in
    np.savez(tmp_path / "set.npz", train_x=face[None], train_y=np.array([3]))
    split = load_face_npz(tmp_path / "set.npz", "train")
    assert split.x.shape == (1, 48, 48) and split.x.dtype == np.uint8
    assert (split.x == 200).all() and split.y.tolist() == [3]


def test_bad_face_sets_name_the_file(tmp_path):
    np.savez(tmp_path / "labels.npz", train_x=np.zeros((2, 50, 50), np.uint8), train_y=np.array([0, 9]))
    with pytest.raises(DataError, match="labels outside 0..6"):
        load_face_npz(tmp_path / "labels.npz")
    with pytest.raises(DataError, match="no arrays test_x and test_y"):
        load_face_npz(tmp_path / "labels.npz", "test")
    (tmp_path / "votes.csv").write_text("row,Usage,neutral\n0,Training,3\n")
    with pytest.raises(DataError, match="not a FER\\+ vote file"):
        load_ferplus_votes(tmp_path / "votes.csv")


def test_calibration_error_of_known_predictions():
    # Four faces at confidence 0.8, three right: |0.75 - 0.8| = 0.05.
    p = np.tile([0.8, 0.2, 0, 0, 0, 0, 0], (4, 1))
    assert expected_calibration_error([0, 0, 0, 1], p) == pytest.approx(0.05)
    result = score([0, 0, 0, 1], p)
    assert result["accuracy"] == 0.75 and result["n"] == 4 and result["ece"] == pytest.approx(0.05)


def test_benchmarks_without_their_files_are_reported_skipped(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "sfew").mkdir()
    np.savez(tmp_path / "sfew" / "sfew.npz", test_x=rng.integers(0, 256, (5, 121, 96), dtype=np.uint8),
             test_y=np.array([0, 1, 2, 3, 3]))
    results = run_benchmarks(lambda faces: np.eye(7)[np.full(len(faces), 3)], tmp_path)
    assert list(results) == list(BENCHMARKS)
    assert results["sfew"]["n"] == 5 and results["sfew"]["accuracy"] == 0.4
    assert "fer2013_original.csv.gz" in results["fer2013"]["skipped"]


@pytest.mark.slow
def test_real_ferplus_votes_line_up_with_fer2013():
    """On the real files: every split has one vote row per face, and the raters' majority agrees with
    FER2013's own label on about two faces in three (published: about 67%)."""
    csv_path, votes_path = DATASETS / "fer2013" / "fer2013_original.csv.gz", DATASETS / "ferplus" / "ferplus.csv"
    if not (csv_path.exists() and votes_path.exists()):
        pytest.skip("FER2013 and FER+ are not in ../shared/datasets")
    from training.data import load_split
    from training.extra_data import ferplus_votes_for

    faces = load_split(csv_path, "PrivateTest")
    private = ferplus_votes_for(votes_path, "PrivateTest")
    assert len(private) == len(faces)
    labels, keep = ferplus_majority(private)
    assert 0.6 < (labels[keep] == faces.y[keep]).mean() < 0.75
    ferplus = load_benchmark("ferplus", DATASETS)
    assert len(ferplus) == keep.sum() > 3000
