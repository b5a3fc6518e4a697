"""Detector box -> square crop, padded with black where it leaves the frame."""
import numpy as np

from server.crop import framing_for, square_crop


def test_crop_is_square_centred_on_the_box():
    frame = np.arange(100 * 120, dtype=np.int32).reshape(100, 120)
    crop = square_crop(frame, (40, 30, 20, 10))  # side 20, centred on (50, 35)
    assert crop.shape == (20, 20)
    np.testing.assert_array_equal(crop, frame[25:45, 40:60])


def test_crop_scale_grows_the_square():
    frame = np.ones((100, 100, 3), np.uint8)
    assert square_crop(frame, (40, 40, 20, 20), crop_scale=1.5).shape == (30, 30, 3)


def test_outside_the_frame_is_black():
    frame = np.full((50, 50, 3), 200, np.uint8)
    crop = square_crop(frame, (-10, 40, 20, 20))  # 10 px off the left, 10 px off the bottom
    assert crop.shape == (20, 20, 3)
    assert (crop[:10, 10:] == 200).all() and (crop[:, :10] == 0).all() and (crop[10:] == 0).all()


def test_crop_offset_moves_the_square_by_a_fraction_of_its_side():
    frame = np.arange(100 * 120, dtype=np.int32).reshape(100, 120)
    crop = square_crop(frame, (40, 30, 20, 20), crop_offset=(0.25, -0.5))  # side 20: 5 px right, 10 px up
    np.testing.assert_array_equal(crop, frame[20:40, 45:65])


def test_framing_comes_from_the_detectors_entry_else_the_plain_crop_scale():
    model_input = {"crop_scale": 1.1, "framing": {"blazeface_full": {"crop_scale": 1.16, "crop_offset": [0, -0.03]}}}
    assert framing_for(model_input, "blazeface_full") == (1.16, (0, -0.03))
    assert framing_for(model_input, "haar") == (1.1, (0.0, 0.0))
    assert framing_for({}, "haar") == (1.0, (0.0, 0.0))
