"""Teacher probabilities: the mean of the models' views over the Training faces."""
import numpy as np

from training.data import load
from training.distill import main
from training.models import make_model
from training.predict import predict_probabilities
from training.tta import with_tta


def test_teacher_is_the_mean_of_the_models_with_their_views(small_data, tmp_path, capsys):
    a, b = make_model("mini_xception", (48, 48, 1), 7), make_model("mini_xception", (48, 48, 1), 7)
    a.save(tmp_path / "a.keras")
    with_tta(b, "flip").save(tmp_path / "b.keras")  # its own view in the graph: used as it is
    out = tmp_path / "teacher.npy"
    assert main(["--models", str(tmp_path / "a.keras"), str(tmp_path / "b.keras"), "--tta", "smooth_flip",
                 "--data", str(small_data), "--out", str(out)]) == 0
    faces = load(small_data)["Training"].x
    expected = (predict_probabilities(a, faces, tta="smooth_flip") + predict_probabilities(b, faces, tta="flip")) / 2
    teacher = np.load(out)
    assert teacher.shape == (len(faces), 7)
    np.testing.assert_allclose(teacher, expected, atol=1e-5)
    assert "teacher agrees with the label" in capsys.readouterr().out


def test_a_missing_model_is_an_error_and_writes_nothing(small_data, tmp_path, capsys):
    out = tmp_path / "teacher.npy"
    assert main(["--models", str(tmp_path / "none.keras"), "--data", str(small_data), "--out", str(out)]) == 2
    assert "no Keras model there" in capsys.readouterr().err and not out.exists()


def test_a_teacher_model_joins_every_training_faces_target(small_data, tmp_path):
    """train --teacher-model: its probabilities (with the views in its graph) for each face, unaugmented,
    are mixed into the face's target, soft targets (FER+, extra face sets) as well as one-hot labels."""
    import pytest

    from training.train import with_teacher_model

    teacher = with_tta(make_model("mini_xception", (48, 48, 1), 7), "flip")
    teacher.save(tmp_path / "teacher.keras")
    train = load(small_data)["Training"]
    expected = predict_probabilities(teacher, train.x)  # the views in its graph
    one_hot = np.eye(7, dtype=np.float32)[train.y]
    np.testing.assert_allclose(with_teacher_model(tmp_path / "teacher.keras", 0.25, train),
                               0.25 * expected + 0.75 * one_hot, atol=1e-5)
    soft = np.full((len(train.y), 7), 1 / 7, np.float32)
    mixed = with_teacher_model(tmp_path / "teacher.keras", 0.5, train, soft)
    np.testing.assert_allclose(mixed, 0.5 * expected + 0.5 / 7, atol=1e-5)
    np.testing.assert_allclose(mixed.sum(axis=1), 1, atol=1e-5)
    with pytest.raises(SystemExit, match="--teacher-model"):
        with_teacher_model(tmp_path / "none.keras", 0.5, train)
