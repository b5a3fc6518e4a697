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


def turned(frame, centre, roll):
    """The frame turned about `centre` so that what pointed along +x points at `roll` radians (towards +y)."""
    import cv2
    matrix = cv2.getRotationMatrix2D(centre, -np.degrees(roll), 1.0)
    return cv2.warpAffine(frame, matrix, frame.shape[1::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def test_a_rolled_face_is_levelled_back():
    import skimage.data
    frame = skimage.data.astronaut()
    box = (180, 90, 120, 120)  # her face
    centre = (box[0] + box[2] / 2, box[1] + box[3] / 2)
    upright = square_crop(frame, box, 1.2, crop_offset=(0.0, -0.06)).astype(float)
    for roll in (np.radians(20), np.radians(-35)):
        tilted = turned(frame, centre, roll)
        levelled = square_crop(tilted, box, 1.2, crop_offset=(0.0, -0.06), roll=roll).astype(float)
        plain = square_crop(tilted, box, 1.2, crop_offset=(0.0, -0.06)).astype(float)
        assert levelled.shape == upright.shape == (144, 144, 3)
        inner = (slice(10, -10), slice(10, -10))  # the corners come from outside the turned frame's copy
        assert np.abs(levelled - upright)[inner].mean() < 6, "expected the levelled crop to match the upright one"
        assert np.abs(plain - upright)[inner].mean() > 20, "expected the unlevelled crop to differ"


def test_a_levelled_crop_is_bounded_and_black_outside_the_frame():
    frame = np.full((100, 100, 3), 200, np.uint8)
    crop = square_crop(frame, (60, 60, 40, 40), 1.0, max_side=512, roll=np.radians(45))
    assert crop.shape == (40, 40, 3)
    assert crop[-1, -1].max() == 0 and crop[20, 20].min() == 200  # beyond the frame's corner: black
    big = square_crop(frame, (0, 0, 3000, 3000), 1.0, max_side=64, roll=0.3)
    assert big.shape == (64, 64, 3)
