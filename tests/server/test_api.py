"""REST API, pages, vendor files, model files and headers, through Flask's test client."""
import base64
import hashlib
import io
import json
import re

import numpy as np
import pytest

from server.config import ROOT
from tests.conftest import DEFAULT_MODEL_DIR
from tests.server.test_images import png_declaring
from tests.support.face_frames import iou
from tests.support.images import encode, face_png
from tests.support.scenes import ASTRONAUT_FACE

MANIFEST = json.loads((DEFAULT_MODEL_DIR / "manifest.json").read_text())


def test_model_endpoint_returns_the_manifest(client):
    response = client.get("/api/model")
    assert response.status_code == 200 and response.is_json
    assert response.get_json() == MANIFEST


def test_healthz(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["labels"] == MANIFEST["labels"] and body["detector"] == "blazeface"


def check_astronaut(body):
    assert (body["width"], body["height"]) == (512, 512)
    assert len(body["faces"]) == 1, f"expected one face, got {body['faces']}"
    face = body["faces"][0]
    assert iou(face["box"], ASTRONAUT_FACE) > 0.5, f"expected a box near {ASTRONAUT_FACE}, got {face['box']}"
    assert list(face["probabilities"]) == MANIFEST["labels"]
    assert sum(face["probabilities"].values()) == pytest.approx(1, abs=1e-3)
    assert face["label"] == max(face["probabilities"], key=face["probabilities"].get)
    assert face["confidence"] == face["probabilities"][face["label"]]
    assert set(body["timings"]) == {"decode", "detect", "classify", "total"}
    assert body["timings"]["total"] >= body["timings"]["detect"] > 0
    return face


def test_predict_multipart(client, astronaut_jpeg):
    response = client.post("/api/predict", data={"image": (io.BytesIO(astronaut_jpeg), "a.jpg", "image/jpeg")})
    assert response.status_code == 200, response.get_json()
    check_astronaut(response.get_json())


def test_large_uploads_never_touch_the_disk(client, monkeypatch):
    """Werkzeug spools uploads over 500 kB to temporary files; the server must keep them in memory."""
    import numpy as np
    import werkzeug.formparser

    def no_disk(*args, **kwargs):
        raise AssertionError("an upload was about to be written to a temporary file")
    monkeypatch.setattr(werkzeug.formparser, "SpooledTemporaryFile", no_disk)
    monkeypatch.setattr(werkzeug.formparser, "TemporaryFile", no_disk, raising=False)
    noise = encode(np.random.default_rng(0).integers(0, 256, (600, 600, 3), dtype=np.uint8), ".png")
    assert 500 * 1024 < len(noise) < 2 * 1024 * 1024
    response = client.post("/api/predict", data={"image": (io.BytesIO(noise), "noise.png", "image/png")})
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["width"], response.get_json()["height"]) == (600, 600)


def test_predict_raw_body(client, astronaut_jpeg):
    response = client.post("/api/predict", data=astronaut_jpeg, content_type="image/jpeg")
    assert response.status_code == 200, response.get_json()
    check_astronaut(response.get_json())


@pytest.mark.real_model
def test_the_astronaut_is_happy(client, astronaut_jpeg):
    """REAL MODEL: the astronaut smiles broadly, and the shipped model says so."""
    face = client.post("/api/predict", data=astronaut_jpeg).get_json()["faces"][0]
    assert face["label"] == "happy", f"expected 'happy', got {face['label']} ({face['probabilities']})"


def test_detect_false_takes_the_whole_image_as_one_face(client, astronaut):
    """REAL MODEL: the astronaut's face cropped by hand, as a dataset would hand it over."""
    x, y, w, h = ASTRONAUT_FACE
    crop = encode(np.ascontiguousarray(astronaut[y:y + h, x:x + h]), ".png")  # square, brow to chin
    body = client.post("/api/predict?detect=false", data=crop).get_json()
    assert body["detector"] == "none" and len(body["faces"]) == 1
    face = body["faces"][0]
    assert face["box"] == [0, 0, h, h] and face["label"] == "happy"
    assert sum(face["probabilities"].values()) == pytest.approx(1, abs=1e-3)
    assert client.post("/api/predict?detect=true", data=crop).get_json()["detector"] == "blazeface"


def test_detect_false_reads_fer2013_faces_at_the_models_accuracy(client, fer_split):
    """REAL MODEL on 200 PrivateTest faces sent as PNG: the labels the model gives those faces run
    directly (float32 TFLite; the server runs int8), so as many right as it gets."""
    from tests.support.scenes import reference_probabilities

    faces_x, labels = fer_split.x[:200], fer_split.y[:200]
    reference = reference_probabilities(DEFAULT_MODEL_DIR, faces_x).argmax(1)
    served = []
    for face in faces_x:
        faces = client.post("/api/predict?detect=0", data=face_png(face)).get_json()["faces"]
        assert len(faces) == 1 and faces[0]["box"] == [0, 0, 48, 48]
        served.append(MANIFEST["labels"].index(faces[0]["label"]))
    served = np.array(served)
    assert (served == reference).mean() >= 0.97, f"{(served == reference).sum()} of 200 labels as the model's own"
    assert abs((served == labels).mean() - (reference == labels).mean()) <= 0.015
    assert (served == labels).mean() > 0.5  # the model's FER2013 accuracy (58-60%), far above the 25% of the commonest label


def test_predict_haar_app(make_app, astronaut_jpeg):
    body = make_app(DETECTOR="haar").test_client().post("/api/predict", data=astronaut_jpeg).get_json()
    assert body["detector"] == "haar"
    check_astronaut(body)


def error_of(response, status, code):
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.data[:200]}"
    body = response.get_json()
    assert body["code"] == code and body["error"], body
    return body["error"]


def test_predict_errors(client, astronaut_jpeg):
    assert "field 'image'" in error_of(client.post("/api/predict", data={"picture": (io.BytesIO(astronaut_jpeg), "a.jpg")}),
                                       400, "bad_request")
    error_of(client.post("/api/predict", data=b""), 400, "empty_image")
    error_of(client.post("/api/predict", data=astronaut_jpeg[:5000]), 400, "corrupt_image")
    error_of(client.post("/api/predict", data=b"GIF89a not really"), 415, "unsupported_media_type")
    error_of(client.post("/api/predict", data={"image": "text"}, content_type="application/x-www-form-urlencoded"),
             415, "unsupported_media_type")
    error_of(client.post("/api/predict", data=png_declaring(20000, 20000)), 413, "image_too_large")
    error_of(client.get("/api/predict"), 405, "method_not_allowed")
    assert "detect=true or detect=false" in error_of(client.post("/api/predict?detect=maybe", data=astronaut_jpeg),
                                                      400, "bad_request")
    error_of(client.get("/api/nothing"), 404, "not_found")


def test_upload_size_limit(make_app, astronaut_jpeg):
    client = make_app(MAX_UPLOAD_BYTES=len(astronaut_jpeg) - 1).test_client()
    message = error_of(client.post("/api/predict", data=astronaut_jpeg), 413, "payload_too_large")
    assert str(len(astronaut_jpeg)) in message
    multipart = client.post("/api/predict", data={"image": (io.BytesIO(astronaut_jpeg), "a.jpg")})
    error_of(multipart, 413, "payload_too_large")
    too_big = client.post("/api/predict", data=b"\xff" * (len(astronaut_jpeg) + 100_000))
    error_of(too_big, 413, "payload_too_large")


def test_page_gets_the_manifest_and_security_headers(client):
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    for directive in ("script-src 'self' 'wasm-unsafe-eval'", "img-src 'self' data: blob:", "media-src 'self' blob:",
                      "worker-src 'self' blob:", "connect-src 'self' ws://localhost wss://localhost", "object-src 'none'"):
        assert directive in csp, f"expected {directive!r} in the CSP, got {csp!r}"
    script_src = csp.split("script-src")[1].split(";")[0]
    assert "'unsafe-inline'" not in script_src
    # The page's one inline script (it asks for the camera) is allowed by its hash, and only it.
    inline = re.findall(r"<script>(.*?)</script>", response.get_data(as_text=True), re.S)
    assert len(inline) == 1 and "getUserMedia" in inline[0]
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert re.findall(r"'sha256-[^']+'", script_src) == [f"'sha256-{digest}'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "camera=(self)" in response.headers["Permissions-Policy"]
    # Cross-origin isolation, which gives TF.js's WASM backend its threads (SharedArrayBuffer)
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Embedder-Policy"] == "require-corp"


def test_page_context_has_manifest_and_model_url(make_app):
    import flask
    app = make_app()
    seen = {}

    def record(sender, template, context, **extra):
        seen.update(context)
    with flask.template_rendered.connected_to(record, app):
        app.test_client().get("/")
    assert seen["model"]["manifest"] == MANIFEST and seen["model"]["name"] == "resnet_slim"
    assert seen["model"]["url"].startswith("/models/resnet_slim/tfjs_uint8/model.json?v=")  # the manifest's browser_format
    assert app.test_client().get(seen["model"]["url"]).status_code == 200


def test_cors_only_for_configured_origins(make_app, astronaut_jpeg):
    closed = make_app().test_client()
    assert "Access-Control-Allow-Origin" not in closed.get("/api/model", headers={"Origin": "http://evil.test"}).headers
    same = closed.get("/api/model", headers={"Origin": "http://localhost"})
    assert same.headers["Access-Control-Allow-Origin"] == "http://localhost"
    opened = make_app(ALLOWED_ORIGINS=("http://app.test",)).test_client()
    preflight = opened.options("/api/predict", headers={"Origin": "http://app.test", "Access-Control-Request-Method": "POST"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://app.test"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Origin" not in opened.get("/api/model", headers={"Origin": "http://evil.test"}).headers


@pytest.mark.parametrize("path, mimetype", [
    ("@tensorflow/tfjs-core/dist/tf-core.es2017.min.js", "text/javascript"),
    ("@tensorflow/tfjs-converter/dist/tf-converter.es2017.min.js", "text/javascript"),
    ("@tensorflow/tfjs-backend-webgl/dist/tf-backend-webgl.es2017.min.js", "text/javascript"),
    ("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm", "application/wasm"),
    ("socket.io-client/dist/socket.io.min.js", "text/javascript"),
])
def test_vendor_serves_allowed_packages(client, path, mimetype):
    response = client.get(f"/vendor/{path}")
    assert response.status_code == 200, path
    assert response.data == (ROOT / "node_modules" / path).read_bytes()
    if mimetype:
        assert response.mimetype == mimetype
    response.close()


@pytest.mark.parametrize("path", [
    "ws/package.json",                                  # installed, but not allow-listed
    "@tensorflow/tfjs-layers/package.json",            # a sibling of an allowed package
    "@tensorflow/tfjs-core/../tfjs-layers/package.json",  # climbing out of an allowed one
    "@tensorflow/tfjs-core/../../../pyproject.toml",
    "@tensorflow/tfjs-core",
    "@mediapipe/face_detection/face_detection_short_range.tflite",  # the server's; the page has its own copy
])
def test_vendor_refuses_everything_else(client, path):
    assert client.get(f"/vendor/{path}").status_code == 404


def test_face_detector_files_are_served(client):
    """The page's detector (built by converters/face_detector.py) and nothing else of its folder."""
    from server.model_files import FACE_DETECTORS_DIR, page_detector

    detector = page_detector("blazeface_full")
    if detector is None:
        pytest.skip(f"no face detector built in {FACE_DETECTORS_DIR} (make setup builds it)")
    assert detector["name"] == "blazeface_full" and detector["size"] == 192
    assert page_detector("haar")["name"] == "blazeface"  # Haar cannot run in a page: the default BlazeFace does
    assert page_detector("blazeface")["size"] == 128
    model_json = client.get(detector["url"].split("?")[0])
    assert model_json.status_code == 200 and "no-cache" in model_json.headers["Cache-Control"]
    base = detector["url"].rsplit("/", 1)[0]
    for shard in json.loads(model_json.data)["weightsManifest"][0]["paths"]:
        assert client.get(f"{base}/{shard}").status_code == 200
    assert client.get("/detectors/blazeface_full/manifest.json").status_code == 200
    assert client.get("/detectors/blazeface_full/../../default/model.keras").status_code == 404
    assert client.get("/detectors/haar/manifest.json").status_code == 404


def test_model_files_are_served_with_revalidation(client):
    for path in ("manifest.json", "tfjs/model.json", "tfjs_float16/model.json", "model_float32.tflite"):
        response = client.get(f"/models/resnet_slim/{path}")
        assert response.status_code == 200, path
        assert response.data == (ROOT / "models" / "resnet_slim" / path).read_bytes()
        assert "no-cache" in response.headers["Cache-Control"] and response.headers["ETag"]
    model_json = json.loads(client.get("/models/resnet_slim/tfjs/model.json").data)
    for shard in model_json["weightsManifest"][0]["paths"]:
        assert client.get(f"/models/resnet_slim/tfjs/{shard}").status_code == 200
    etag = client.get("/models/resnet_slim/tfjs/model.json").headers["ETag"]
    assert client.get("/models/resnet_slim/tfjs/model.json", headers={"If-None-Match": etag}).status_code == 304


def test_the_files_the_page_loads_are_kept_for_good_under_their_version(make_app):
    """The page names its one-file build, its stylesheet and both models' TF.js files with the
    version of their content: asked for so, each may be kept a year without asking again; asked for
    under another version, or none, it is revalidated as before."""
    import html
    import re

    client = make_app().test_client()
    page = html.unescape(client.get("/?mode=browser").get_data(as_text=True))
    head = page.split("</head>")[0]
    urls = re.findall(r'<link rel="preload" href="([^"]+)"', head) + re.findall(r'<link rel="stylesheet" href="([^"]+)"', head)
    urls += re.findall(r'<script type="module" src="(/static/dist/[^"]+)"', head)  # when built (make setup)
    assert any(u.startswith("/static/css/app.css?v=") for u in urls), urls
    assert sum(u.startswith(("/models/", "/detectors/")) for u in urls) >= 4, urls
    for url in urls:
        kept = client.get(url)
        assert kept.status_code == 200, url
        assert "immutable" in kept.headers["Cache-Control"] and "max-age=31536000" in kept.headers["Cache-Control"], url
        plain, other = url.split("?")[0], url.split("?")[0] + "?v=0123456789abcdef"
        for revalidated in (client.get(plain), client.get(other)):
            assert revalidated.status_code == 200 and revalidated.data == kept.data, url
            assert "immutable" not in revalidated.headers.get("Cache-Control", ""), url
    # A model's files share one version, which TF.js carries from model.json's URL to its shards'.
    model = [u for u in urls if u.startswith("/models/")]
    assert len({u.split("?v=")[1] for u in model}) == 1, model


def test_a_files_version_changes_with_its_content(tmp_path):
    from server.file_versions import content_version

    weights = tmp_path / "group1-shard1of1.bin"
    model_json = tmp_path / "model.json"
    model_json.write_text("{}")
    weights.write_bytes(b"1234")
    before = content_version(model_json, weights)
    assert content_version(model_json, weights) == before and len(before) == 16
    weights.write_bytes(b"1235")  # same size: the content is what counts
    assert content_version(model_json, weights) != before


@pytest.mark.parametrize("path", ["default/saved_model/saved_model.pb", "default/../default/manifest.json",
                                  "nope/manifest.json", "default/missing.bin", "..%2Fpyproject.toml/x"])
def test_model_files_refuse_the_rest(client, path):
    assert client.get(f"/models/{path}").status_code == 404


def test_page_head_preloads_what_its_mode_runs(make_app):
    """Running its modules one by one (no bundle), the <head> asks for every module the page runs in
    its mode (found by following the imports) and, in-browser, both models' files; server mode gets
    neither TF.js's engine nor the models."""
    import re
    from server.config import ROOT
    client = make_app(PAGE_BUNDLE=False).test_client()

    def preloads(url):
        head = client.get(url).get_data(as_text=True).split("</head>")[0]
        return (re.findall(r'<link rel="modulepreload" href="/static/js/([\w-]+\.js)">', head),
                re.findall(r'<link rel="preload" href="([^"]+)" as="fetch" crossorigin="anonymous">', head))

    browser_modules, browser_files = preloads("/")
    server_modules, server_files = preloads("/?mode=server")
    _, other_model_files = preloads("/?model=mini_xception")
    _, unknown_model_files = preloads("/?model=nope")
    # start.js runs first (it asks for the camera and TF.js), so it and its imports come first.
    assert browser_modules[:2] == ["start.js", "settings.js"] and "boot.js" in browser_modules
    assert {"ui.js", "chart.js", "inbrowser.js", "pixels.js", "classifier.js"} <= set(browser_modules)
    assert "socket.js" not in browser_modules and "inbrowser.js" not in server_modules and "socket.js" in server_modules
    every_module = {p.name for p in (ROOT / "static" / "js").glob("*.js")}
    assert set(browser_modules) | set(server_modules) == every_module, "a module of the page is not preloaded in any mode"
    # Each under its content's version (server/file_versions.py), the shards with model.json's.
    assert all("?v=" in f for f in browser_files), browser_files
    browser_files = [f.split("?")[0] for f in browser_files]
    assert any(f.startswith("/models/resnet_slim/") and f.endswith(".bin") for f in browser_files), browser_files
    assert any(f.startswith("/detectors/") and f.endswith(".bin") for f in browser_files), browser_files
    assert server_files == []
    # ?model= names another served model: its files instead of the default's; an unknown one, none.
    assert any(f.startswith("/models/mini_xception/") and ".bin?v=" in f for f in other_model_files), other_model_files
    assert not any(f.startswith("/models/resnet_slim/") for f in other_model_files), other_model_files
    assert unknown_model_files and all(f.startswith("/detectors/") for f in unknown_model_files), unknown_model_files


def test_page_runs_its_one_file_build_only_while_it_is_newer_than_every_module(make_app, tmp_path, monkeypatch):
    """With a build of the modules (make setup) at least as new as each of them, the page runs that
    one script, in its head, and preloads no module; a module edited since, a missing build, or
    PAGE_BUNDLE off: the modules themselves (boot.js in the head, start.js in the body), each preloaded."""
    import os
    import re
    from server import pages
    from server.file_versions import content_version

    modules = tmp_path / "js"
    modules.mkdir()
    for name in ("boot.js", "start.js"):
        (modules / name).write_text("// a module\n")
    entry, bundle = tmp_path / "bundle.js", tmp_path / "page.js"
    entry.write_text("import './js/start.js';\n")
    monkeypatch.setattr(pages, "PAGE_MODULES", modules)
    monkeypatch.setattr(pages, "BUNDLE_ENTRY", entry)
    monkeypatch.setattr(pages, "BUNDLE", bundle)
    monkeypatch.setattr(pages, "module_graph", lambda entry: (entry,))  # each module alone: their imports are not the point

    def scripts(**config):
        head, body = make_app(**config).test_client().get("/").get_data(as_text=True).split("</head>")
        return (re.findall(r'<script type="module" src="([^"]+)">', head),
                re.findall(r'<script type="module" async src="([^"]+)">', body),
                re.findall(r'<link rel="modulepreload" href="([^"]+)">', head))

    unbuilt = (["/static/js/boot.js"], ["/static/js/start.js"],
               ["/static/js/start.js", "/static/js/boot.js", "/static/js/inbrowser.js"])
    assert scripts() == unbuilt, "no build yet"
    bundle.write_text("// built\n")
    # Named with its content's version, so browsers keep it until a new build (cache_versioned_static).
    built = ([f"/static/dist/page.js?v={content_version(bundle)}"], [], [])
    assert scripts() == built
    assert scripts(PAGE_BUNDLE=False) == unbuilt
    later = bundle.stat().st_mtime_ns + 1_000_000_000
    os.utime(modules / "boot.js", ns=(later, later))
    assert scripts() == unbuilt, "boot.js was edited after the build"
    os.utime(bundle, ns=(later, later))
    assert scripts() == built
    os.utime(entry, ns=(later + 1, later + 1))
    assert scripts() == unbuilt, "the entry was edited after the build"


@pytest.mark.parametrize("query, name", [("", "resnet_slim"), ("?model=mini_xception", "mini_xception"),
                                         ("?model=nope", "resnet_slim"), ("?model=..%2Fresnet_slim", "resnet_slim")])
def test_page_carries_the_manifest_of_the_model_it_runs(client, query, name):
    """The page gets the manifest and model.json URL of the model it will run, so it need not ask for
    them; a name the server has no model for leaves the server's own there (the page then asks, and
    shows the 404)."""
    import html
    import re

    body = client.get(f"/{query}").get_data(as_text=True)
    inline = json.loads(html.unescape(re.search(r'data-manifest="([^"]*)"', body).group(1)))
    assert re.search(r'data-model-name="([^"]*)"', body).group(1) == name
    assert inline["name"] == json.loads((ROOT / "models" / name / "manifest.json").read_text())["name"]
    url = re.search(r'data-model-url="([^"]*)"', body).group(1)
    assert url.startswith(f"/models/{name}/") and client.get(url).status_code == 200


@pytest.mark.parametrize("light, model_dir, expected", [
    ("resnet_slim", "resnet", "resnet_slim"),      # the wider model served: its page may turn to the slim one
    ("", "resnet", ""),                            # FER_LIGHT_MODEL empty: none
    ("nope", "resnet", ""),                        # not a served model
    ("resnet_slim", None, ""),                     # the server's own model (the default) already
])
def test_page_names_the_lighter_model_auto_mode_may_turn_to(make_app, light, model_dir, expected):
    import re

    config = {"LIGHT_MODEL": light} | ({"MODEL_DIR": ROOT / "models" / model_dir} if model_dir else {})
    body = make_app(**config).test_client().get("/").get_data(as_text=True)
    assert re.search(r'data-light-model="([^"]*)"', body).group(1) == expected


@pytest.mark.parametrize("crowd, model_dir, expected", [
    ("mini_xception", None, "mini_xception"),      # served beside the default: the page may classify crowds with it
    ("", None, ""),                                # FER_CROWD_MODEL empty: none
    ("nope", None, ""),                            # not a served model
    ("../resnet", None, ""),                       # not a model name
    ("resnet_slim", None, ""),                     # the server's own model
])
def test_page_names_the_crowd_model_and_from_how_many_faces(make_app, crowd, model_dir, expected):
    import re

    body = make_app(CROWD_MODEL=crowd, CROWD_FACES=4).test_client().get("/").get_data(as_text=True)
    assert re.search(r'data-crowd-model="([^"]*)"', body).group(1) == expected
    assert re.search(r'data-crowd-faces="([^"]*)"', body).group(1) == "4"


def test_page_has_the_models_it_may_turn_to_at_hand_under_their_versions(make_app):
    """The lighter and the crowd model come with the page as its own model does: their manifests'
    facts and their model.json URLs, under their versions, so turning to one asks for its files only,
    which browsers keep for good."""
    import html
    import re

    client = make_app(LIGHT_MODEL="mini_xception", CROWD_MODEL="resnet_tiny").test_client()
    body = client.get("/").get_data(as_text=True)
    offered = json.loads(html.unescape(re.search(r'data-other-models="([^"]*)"', body).group(1)))
    own = json.loads(html.unescape(re.search(r'data-manifest="([^"]*)"', body).group(1)))
    assert set(offered) == {"mini_xception", "resnet_tiny"}, offered
    for name, model in offered.items():
        manifest = json.loads((ROOT / "models" / name / "manifest.json").read_text())
        assert model["manifest"]["name"] == manifest["name"] and model["manifest"]["labels"] == own["labels"]
        assert set(model["manifest"]) == set(own), "the same facts as the page's own model's"
        assert model["url"].startswith(f"/models/{name}/") and "model.json?v=" in model["url"], model["url"]
        assert "immutable" in client.get(model["url"]).headers["Cache-Control"]
    none = make_app(LIGHT_MODEL="", CROWD_MODEL="").test_client().get("/").get_data(as_text=True)
    assert re.search(r'data-other-models="([^"]*)"', none).group(1) == "{}"


def test_crowd_model_setting_reads_an_empty_value_as_none():
    from server.config import from_env

    assert from_env({"FER_CROWD_MODEL": ""})["CROWD_MODEL"] == ""
    assert from_env({"FER_CROWD_MODEL": " resnet_tiny "})["CROWD_MODEL"] == "resnet_tiny"
    with pytest.raises(ValueError, match="FER_CROWD_FACES"):
        from_env({"FER_CROWD_FACES": "0"})


def test_light_model_setting_reads_an_empty_value_as_none():
    from server.config import DEFAULTS, from_env

    assert DEFAULTS["LIGHT_MODEL"] == ""  # the default model is the slim one already
    assert from_env({"FER_LIGHT_MODEL": ""})["LIGHT_MODEL"] == ""
    assert from_env({"FER_LIGHT_MODEL": "resnet_slim"})["LIGHT_MODEL"] == "resnet_slim"
    assert from_env({})["LIGHT_MODEL"] == ""
