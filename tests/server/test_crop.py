"""Detector box -> square crop, padded with black where it leaves the frame."""
import numpy as np

from server.crop import square_crop


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
