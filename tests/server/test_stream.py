"""The /stream namespace through Flask-SocketIO's test client (fast, in-process, no network)."""
import pytest

from server import socketio_of
from server.images import InputError
from server.stream import parse_frame
from tests.server.bad_frames import bad_frames
from tests.support.face_frames import iou
from tests.support.scenes import ASTRONAUT_FACE


@pytest.fixture()
def stream(make_app):
    app = make_app()
    client = socketio_of(app).test_client(app, namespace="/stream")
    assert client.is_connected("/stream")
    yield client
    client.disconnect(namespace="/stream")


def one_event(client):
    events = client.get_received("/stream")
    assert len(events) == 1, f"expected one event, got {[(e['name'], e['args']) for e in events]}"
    return events[0]["name"], events[0]["args"][0]


def test_frame_gets_a_result_with_the_same_id(stream, astronaut_jpeg):
    stream.emit("frame", {"id": 7, "image": astronaut_jpeg}, namespace="/stream")
    name, result = one_event(stream)
    assert name == "result", result
    assert result["id"] == 7 and result["dropped"] == 0
    assert (result["width"], result["height"]) == (512, 512)
    assert len(result["faces"]) == 1 and iou(result["faces"][0]["box"], ASTRONAUT_FACE) > 0.5
    assert set(result["timings"]) == {"decode", "detect", "classify", "total"}


def test_a_frame_with_detect_false_is_one_face_already_cropped(stream, astronaut):
    from tests.support.images import encode

    x, y, w, h = ASTRONAUT_FACE
    crop = encode(astronaut[y:y + h, x:x + h].copy(), ".png")
    stream.emit("frame", {"id": 8, "image": crop, "detect": False}, namespace="/stream")
    name, result = one_event(stream)
    assert name == "result" and result["detector"] == "none", result
    assert [f["box"] for f in result["faces"]] == [[0, 0, h, h]] and result["faces"][0]["label"] == "happy"


def test_each_bad_frame_gets_its_error_and_the_next_frame_is_served(stream, astronaut_jpeg):
    for case, payload, code, frame_id in bad_frames(astronaut_jpeg):
        stream.emit("frame", payload, namespace="/stream")
        name, error = one_event(stream)
        assert (name, error["code"]) == ("error", code), f"{case}: expected error {code}, got {name} {error}"
        assert error.get("id") == frame_id, f"{case}: expected id {frame_id}, got {error.get('id')}"
        assert error["message"], case
        stream.emit("frame", {"id": f"after {case}", "image": astronaut_jpeg}, namespace="/stream")
        name, result = one_event(stream)
        assert name == "result" and result["id"] == f"after {case}", f"after {case}: got {name} {result}"


def test_frame_without_arguments(stream):
    stream.emit("frame", namespace="/stream")
    name, error = one_event(stream)
    assert (name, error["code"]) == ("error", "bad_request")


def test_parse_frame_accepts_str_ids_and_binary_views():
    assert parse_frame({"id": "a", "image": bytearray(b"xy")}, 10) == ("a", b"xy", True)
    assert parse_frame({"id": 3, "image": memoryview(b"xy"), "detect": False}, 10) == (3, b"xy", False)
    with pytest.raises(InputError, match="got bool"):
        parse_frame({"id": True, "image": b"xy"}, 10)
