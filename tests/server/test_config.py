"""Settings from the environment."""
from pathlib import Path

import pytest

from server.config import DEFAULTS, from_env


def test_defaults_without_variables():
    settings = from_env({})
    assert settings == DEFAULTS
    assert settings["MAX_UPLOAD_BYTES"] == 2 * 1024 * 1024 and settings["PORT"] == 5000
    assert settings["DETECTOR"] == "blazeface"


def test_every_variable_is_read():
    settings = from_env({"FER_MODEL_DIR": "/m", "FER_DETECTOR": "haar", "FER_TFLITE": "float32", "FER_LIGHT_MODEL": " mini ",
                         "FER_CROWD_MODEL": "tiny ", "FER_CROWD_FACES": "5", "FER_MAX_UPLOAD_BYTES": "1000",
                         "FER_MAX_PIXELS": "2000", "FER_MIN_FACE": "30",
                         "FER_ALLOWED_ORIGINS": "https://a.test, https://b.test,", "FER_HOST": "127.0.0.1",
                         "FER_ALLOWED_HOSTS": "Fer.Example.com, b.test", "FER_MAX_CONNECTIONS": "500",
                         "FER_MAX_CONNECTIONS_PER_ADDRESS": "50", "FER_INFERENCE_THREADS": "2", "FER_PAGE_BUNDLE": "0", "FER_CERTFILE": "/c.pem", "FER_KEYFILE": "/k.pem", "PORT": "8080"})
    assert settings == {"MODEL_DIR": Path("/m"), "DETECTOR": "haar", "TFLITE": "float32", "LIGHT_MODEL": "mini",
                        "CROWD_MODEL": "tiny", "CROWD_FACES": 5, "MAX_UPLOAD_BYTES": 1000, "MAX_PIXELS": 2000,
                        "MIN_FACE": 30, "ALLOWED_ORIGINS": ["https://a.test", "https://b.test"],
                        "ALLOWED_HOSTS": ["fer.example.com", "b.test"], "MAX_CONNECTIONS": 500,
                        "MAX_CONNECTIONS_PER_ADDRESS": 50, "INFERENCE_THREADS": 2, "PAGE_BUNDLE": False, "HOST": "127.0.0.1", "PORT": 8080, "CERTFILE": "/c.pem", "KEYFILE": "/k.pem"}


def test_the_retired_message_queue_setting_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="FER_MESSAGE_QUEUE: no longer read.*sticky sessions"):
        from_env({"FER_MESSAGE_QUEUE": "redis://q"})


def test_the_page_bundle_setting_is_1_or_0():
    assert from_env({"FER_PAGE_BUNDLE": "1"})["PAGE_BUNDLE"] is True
    with pytest.raises(ValueError, match=r"FER_PAGE_BUNDLE: expected 1 .* or 0 .*, got 'yes'"):
        from_env({"FER_PAGE_BUNDLE": "yes"})


def test_https_needs_both_certificate_and_key():
    with pytest.raises(ValueError, match="set both to serve HTTPS"):
        from_env({"FER_CERTFILE": "/c.pem"})


@pytest.mark.parametrize("name, value", [("PORT", "http"), ("FER_MAX_UPLOAD_BYTES", "2MB"), ("FER_MAX_PIXELS", "-5")])
def test_bad_numbers_name_the_variable(name, value):
    with pytest.raises(ValueError, match=f"{name}: expected a .*, got"):
        from_env({name: value})


def test_unknown_detector_fails_at_start(make_app):
    with pytest.raises(ValueError, match="unknown face detector 'yolo'"):
        make_app(DETECTOR="yolo")


def test_unknown_tflite_format_fails_at_start_naming_the_choices(make_app):
    with pytest.raises(ValueError, match="no TFLite 'int4' model; its manifest has float16, float32, int8"):
        make_app(TFLITE="int4")


@pytest.mark.real_model
@pytest.mark.parametrize("tflite", ["float32", "float16", "int8"])
def test_every_tflite_format_serves_a_face(make_app, astronaut_jpeg, tflite):
    """Each TFLite file of the default model finds the smiling astronaut, calls her happy, and gives
    probabilities that sum to 1 (int8's come in steps of 1/256 and are renormalised)."""
    client = make_app(TFLITE=tflite).test_client()
    faces = client.post("/api/predict", data=astronaut_jpeg, content_type="image/jpeg").get_json()["faces"]
    assert len(faces) == 1 and faces[0]["label"] == "happy"
    assert sum(faces[0]["probabilities"].values()) == pytest.approx(1, abs=1e-3)
