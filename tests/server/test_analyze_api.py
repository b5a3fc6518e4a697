"""POST /api/analyze: an uploaded video -> the rows the CLI writes for the same file, within the
server's limits."""
import csv
import io

import pytest

from server import analyze_api
from server.analyze import parse_args, run
from tests.support.scenes import moving_face_scene
from tests.support.videos import write_avi


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_avi(tmp_path_factory.mktemp("api") / "clip.avi", moving_face_scene(frames=6, step=4))


@pytest.mark.real_model
def test_json_and_csv_answers_hold_the_rows_the_cli_writes(clip, client, tmp_path):
    out = tmp_path / "rows.csv"
    assert run(parse_args([str(clip), "--out", str(out), "--workers", "1", "--every", "2"])) == 0
    with open(out, newline="") as f:
        cli = [{**row, "source": "clip.avi"} for row in csv.DictReader(f)]

    reply = client.post("/api/analyze?format=csv&every=2", data={"video": (io.BytesIO(clip.read_bytes()), "clip.avi")},
                        content_type="multipart/form-data")
    assert reply.status_code == 200 and reply.mimetype == "text/csv"
    assert list(csv.DictReader(io.StringIO(reply.get_data(as_text=True)))) == cli

    reply = client.post("/api/analyze?every=2", data=clip.read_bytes(), content_type="video/x-msvideo")
    body = reply.get_json()
    assert reply.status_code == 200 and body["columns"] == list(cli[0])
    assert [{k: str(v) for k, v in row.items()} for row in body["rows"]] == [{**r, "source": "upload"} for r in cli]
    assert [row["frame"] for row in body["rows"]] == [0, 2, 4]


@pytest.mark.parametrize("data, query, status, code, words", [
    (b"", "", 400, "empty_image", "expected a video, got an empty payload"),
    (b"interview notes, not a video", "", 415, "unsupported_media_type", "expected a video OpenCV can read"),
    (b"x" * 10, "?format=xml", 400, "bad_request", "format=json or format=csv"),
    (b"x" * 10, "?every=0", 400, "bad_request", "every to be a number >= 1"),
])
def test_bad_requests_say_what_was_expected(client, data, query, status, code, words):
    reply = client.post(f"/api/analyze{query}", data=data, content_type="application/octet-stream")
    body = reply.get_json()
    assert reply.status_code == status and body["code"] == code and words in body["error"], body


def test_an_upload_over_the_size_limit_is_refused_before_decoding(make_app):
    client = make_app(MAX_UPLOAD_BYTES=1000).test_client()
    reply = client.post("/api/analyze", data=b"\0" * 2000, content_type="application/octet-stream")
    assert reply.status_code == 413 and reply.get_json()["code"] == "payload_too_large"


@pytest.mark.real_model
def test_too_many_frames_to_analyse_asks_for_sampling(clip, client, monkeypatch):
    monkeypatch.setattr(analyze_api, "MAX_FRAMES", 4)
    reply = client.post("/api/analyze", data=clip.read_bytes(), content_type="video/x-msvideo")
    assert reply.status_code == 413 and reply.get_json()["code"] == "too_many_frames"
    assert "?fps= or ?every=" in reply.get_json()["error"]
    sampled = client.post("/api/analyze?every=2", data=clip.read_bytes(), content_type="video/x-msvideo")
    assert sampled.status_code == 200
