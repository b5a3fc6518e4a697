"""The drain's bookkeeping in-process: REST work counts as in flight until its response is written,
and long work gives up with a 503 once the drain's deadline has passed (the live SIGTERM tests are
in test_drain_live.py)."""
import pytest

from server.images import InputError
from server.in_flight import IN_FLIGHT, CountRequests, InFlight
from tests.support.scenes import moving_face_scene
from tests.support.videos import write_avi


def app_answering(*chunks):
    def app(environ, start_response):
        start_response("200 OK", [])
        return list(chunks)
    return app


def test_a_request_counts_until_its_whole_response_is_written_or_closed():
    in_flight = InFlight()
    counted = CountRequests(app_answering(b"a", b"b"), paths=["/api/predict"], in_flight=in_flight)
    body = counted({"PATH_INFO": "/api/predict"}, lambda *_: None)
    assert in_flight.count == 1
    chunks = iter(body)
    assert next(chunks) == b"a" and next(chunks) == b"b" and in_flight.count == 1  # the last chunk not yet written
    assert list(chunks) == [] and in_flight.count == 0
    body.close()
    assert in_flight.count == 0  # counted down once

    abandoned = counted({"PATH_INFO": "/api/predict"}, lambda *_: None)
    abandoned.close()
    assert in_flight.count == 0
    counted({"PATH_INFO": "/healthz"}, lambda *_: None)
    assert in_flight.count == 0


def test_long_work_gives_up_with_a_503_once_the_deadline_has_passed():
    in_flight = InFlight()
    in_flight.check_time()  # not draining: no deadline
    in_flight.start_draining(60)
    in_flight.check_time()
    with pytest.raises(InputError) as refused:
        in_flight.check_open()
    assert refused.value.status == 503 and refused.value.code == "shutting_down"
    in_flight.start_draining(-1)
    with pytest.raises(InputError) as late:
        in_flight.check_time()
    assert late.value.status == 503 and "send it again" in late.value.message


def test_an_analysis_past_the_drain_deadline_is_a_503_and_a_new_one_is_refused(client, tmp_path):
    clip = write_avi(tmp_path / "clip.avi", moving_face_scene(frames=3, step=4)).read_bytes()
    before = client.get("/healthz").get_json()["in_flight"]  # the process's count: other tests' unread responses stay in it
    IN_FLIGHT.answer_by = 0  # long past: the drain's deadline (new work still taken, to reach the frames)
    try:
        response = client.post("/api/analyze", data=clip)
    finally:
        IN_FLIGHT.answer_by = None
    assert response.status_code == 503 and response.get_json()["code"] == "shutting_down"
    assert "could not finish" in response.get_json()["error"]

    IN_FLIGHT.draining = True
    try:
        response = client.post("/api/analyze", data=clip)
    finally:
        IN_FLIGHT.draining = False
    assert response.status_code == 503 and "reconnect" in response.get_json()["error"]
    assert client.get("/healthz").get_json()["in_flight"] == before
    served = client.post("/api/analyze", data=clip)
    assert served.status_code == 200 and served.get_json()["rows"]  # (reading it ends its count)
    assert client.get("/healthz").get_json()["in_flight"] == before
