"""tests.support.scenes.recorded_scene (the benches' --video path): a recorded video becomes the fake camera's frames."""
import numpy as np
import pytest

from tests.support.scenes import recorded_scene
from tests.support.videos import write_avi


def test_a_recorded_video_is_scaled_to_640_wide_in_rgb_at_its_frame_rate(tmp_path):
    path = write_avi(tmp_path / "clip.avi", [np.full((144, 176, 3), (255, 0, 0), np.uint8)] * 3, fps=30)  # red
    frames, fps = recorded_scene(path)
    assert frames.shape == (3, 524, 640, 3)  # 144 * 640 / 176 = 523.6, rounded to an even height
    assert fps == 30
    assert frames[..., 0].mean() > 200 and frames[..., 2].mean() < 50  # red in RGB


def test_a_file_with_no_video_is_an_error_naming_it(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("not a video")
    with pytest.raises(ValueError, match="notes.mp4: no video frames"):
        recorded_scene(path)
