"""Under eventlet, frames are decoded, detected and classified on FER_INFERENCE_THREADS OS threads,
and uploads to /api/analyze never take the last of them: a live stream is answered while
long analyses run."""
import sys
import time

import socketio

from tests.server.test_drain_live import post_in_background, video
from tests.support.images import encode
from tests.support.live_server import LiveServer

TIMEOUT = 60


def test_a_stream_is_answered_while_analyses_hold_every_other_thread(astronaut, tmp_path):
    threads = 2  # one for the analyses, one left for the stream
    clip = video(astronaut, tmp_path / "clip.mp4", frames=40)  # seconds of Haar work per upload
    server = LiveServer([sys.executable, "-m", "server"],
                        {"FER_DETECTOR": "haar", "FER_INFERENCE_THREADS": str(threads)}).wait()
    client = socketio.SimpleClient()
    try:
        client.connect(server.url, namespace="/stream", transports=["websocket"], wait_timeout=10)
        uploads = [post_in_background(server.url + "/api/analyze", clip) for _ in range(threads + 1)]
        time.sleep(1.0)  # the uploads arrive and take their threads
        client.emit("frame", {"id": 1, "image": encode(astronaut)})
        name, payload = client.receive(timeout=TIMEOUT)
        answered = time.monotonic()
        assert name == "result" and payload["faces"], payload
        for thread, _ in uploads:
            thread.join(TIMEOUT * 3)
        assert all(answer.get("status") == 200 for _, answer in uploads), [a for _, a in uploads]
        first_analysis = min(answer["at"] for _, answer in uploads)
        assert answered < first_analysis, \
            f"expected the frame answered before any analysis, got it {answered - first_analysis:.2f} s after the first"
    finally:
        client.disconnect()
        server.stop()
