"""Short recorded videos for the benches' --video paths."""
import cv2


def write_avi(path, frames, fps=30):
    """Write RGB frames as a Motion-JPEG AVI, a file any OpenCV build reads back."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path
