"""Training for real faces: FER+ vote distributions as targets, extra face sets, camera-like looks."""
import numpy as np
import pytest

from training import train
from training.data import load


@pytest.mark.slow
def test_a_run_on_ferplus_votes_with_extra_faces_selects_on_the_raters_majority(small_data, small_votes, small_face_set,
                                                                               tmp_path):
    votes, extra = small_votes, small_face_set
    run = tmp_path / "run"
    metrics = train.main(["--data", str(small_data), "--run-dir", str(run), "--arch", "resnet", "--epochs", "1",
                          "--batch-size", "32", "--verbose", "0", "--ferplus", str(votes), "--extra", f"{extra}:2",
                          "--photometric", "1"])
    # Selection and report count the faces that have a majority (here all of them), labelled by it.
    assert metrics["selected_on"] == "PublicTest" and metrics["splits"]["PrivateTest"]["n"] == 64
    faces = load(small_data)["PrivateTest"]
    majority = np.array(metrics["splits"]["PrivateTest"]["confusion_matrix"]).sum(axis=1)
    own = np.bincount(faces.y, minlength=7)
    assert majority.tolist() != own.tolist()  # the raters' labels, not FER2013's


def test_votes_that_do_not_line_up_with_the_data_are_refused(small_data, small_votes, tmp_path):
    votes = tmp_path / "short.csv"
    lines = small_votes.read_text().splitlines()
    votes.write_text("\n".join(lines[:-3]) + "\n")  # three PrivateTest rows short
    with pytest.raises(train.DataError, match="aligned row by row"):
        train.main(["--data", str(small_data), "--run-dir", str(tmp_path / "run"), "--epochs", "1",
                    "--ferplus", str(votes)])
