"""/stream in-process (Flask-SocketIO's test client): frames that arrive while the process drains,
and the Socket.IO-level bounds installed on every app."""
import pytest

from server import socketio_of
from server.in_flight import IN_FLIGHT


@pytest.fixture()
def stream(make_app):
    app = make_app()
    client = socketio_of(app).test_client(app, namespace="/stream")
    yield client
    client.disconnect(namespace="/stream")


def test_a_frame_during_the_drain_is_refused_with_its_id_and_nothing_runs(stream, astronaut_jpeg):
    # The count is the process's: compared with what it was, as other tests' test-client responses
    # that were never read stay counted.
    before = IN_FLIGHT.count
    IN_FLIGHT.draining = True
    try:
        stream.emit("frame", {"id": "late", "image": astronaut_jpeg}, namespace="/stream")
        (event,) = stream.get_received("/stream")
    finally:
        IN_FLIGHT.draining = False
    assert event["name"] == "error" and event["args"][0]["code"] == "shutting_down", event
    assert event["args"][0]["id"] == "late" and event["args"][0]["status"] == 503 and IN_FLIGHT.count == before


def test_rest_during_the_drain_is_a_503(client, astronaut_jpeg):
    before = client.get("/healthz").get_json()["in_flight"]
    IN_FLIGHT.draining = True
    try:
        response = client.post("/api/predict", data=astronaut_jpeg)
    finally:
        IN_FLIGHT.draining = False
    assert response.status_code == 503 and response.get_json()["code"] == "shutting_down"
    assert client.get("/healthz").get_json()["in_flight"] == before


def test_unknown_hosts_are_refused_and_known_ones_served(make_app):
    app = make_app(ALLOWED_HOSTS=("fer.example.com",))
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "fer.example.com"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "[::1]:5000"}).status_code == 200
    refused = client.get("/healthz", headers={"Host": "evil.test:5000"})
    assert refused.status_code == 421 and "evil.test" in refused.get_json()["error"]
    assert refused.headers["X-Frame-Options"] == "DENY"
