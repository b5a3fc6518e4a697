"""Compressed responses through the real app: a file is compressed once and served from then on
as the same bytes; the page, made per request, is compressed every time and never kept."""
import brotli
import flask_compress.flask_compress as flask_compress
import pytest

from server.compression import CompressedFiles
from server.config import ROOT

TF_CORE = "/vendor/@tensorflow/tfjs-core/dist/tf-core.es2017.min.js"
BR = {"Accept-Encoding": "br, gzip"}


@pytest.fixture
def compressions(monkeypatch):
    """How many bodies Flask-Compress compresses while the test runs."""
    calls = []
    real = flask_compress._compress_data
    monkeypatch.setattr(flask_compress, "_compress_data", lambda *a: calls.append(a[2]) or real(*a))
    return calls


def test_a_file_is_compressed_once_then_served_as_the_same_bytes(compressions):
    from server import create_app

    client = create_app({"ASYNC_MODE": "threading"}).test_client()  # its own app: nothing compressed yet
    first = client.get(TF_CORE, headers=BR)
    again = client.get(f"{TF_CORE}?v=another", headers=BR)  # the file's path and ETag are its key, not the URL
    assert first.status_code == again.status_code == 200
    assert first.headers["Content-Encoding"] == "br" and int(first.headers["Content-Length"]) == len(first.data)
    assert brotli.decompress(first.data) == (ROOT / "node_modules" / TF_CORE.removeprefix("/vendor/")).read_bytes()
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert compressions == ["br"]
    assert client.get(TF_CORE, headers={**BR, "If-None-Match": first.headers["ETag"]}).status_code == 304


def test_gzip_for_a_browser_without_brotli(make_app):
    import gzip

    response = make_app().test_client().get("/static/js/boot.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data) == (ROOT / "static" / "js" / "boot.js").read_bytes()


def test_the_page_is_compressed_per_request_and_never_kept(make_app, compressions):
    client = make_app().test_client()
    default = brotli.decompress(client.get("/", headers=BR).data).decode()
    other = brotli.decompress(client.get("/?model=mini_xception", headers=BR).data).decode()
    assert 'data-model-name="resnet_slim"' in default and 'data-model-name="mini_xception"' in other
    assert compressions == ["br", "br"]


def test_the_cache_keeps_files_only_and_drops_the_least_recently_used():
    cache = CompressedFiles(max_files=2)
    cache.set("br;", b"a page")  # Flask-Compress's key for a response that is not a file
    assert cache.get("br;") is None
    cache.set("br;/a|1", b"a")
    cache.set("br;/b|1", b"b")
    assert cache.get("br;/a|1") == b"a"  # /a used last: /b goes first
    cache.set("br;/c|1", b"c")
    assert cache.get("br;/b|1") is None and cache.get("br;/a|1") == b"a" and cache.get("br;/c|1") == b"c"
