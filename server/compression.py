"""Compressed responses (Flask-Compress): brotli where the browser takes it, else gzip. A file (the
page's scripts, TF.js, its WebAssembly, the models' JSON) is compressed once per version and kept,
so a page load costs the server no compression after the first (brotli on TF.js's four files alone
took tens of milliseconds of a core on every load), and each file goes out with its length.
"""
from collections import OrderedDict

from flask import request
from flask_compress import Compress

# The page's scripts, TF.js and its WebAssembly shrink to about a quarter. The models' weight files
# are left alone: quantised weights barely compress.
COMPRESSED_TYPES = ["text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                    "application/wasm"]
KEY = "fer.compressed_key"  # the request's entry in the cache, set for files only
MAX_FILES = 256  # compressed files kept: the page needs about 35


class CompressedFiles:
    """Flask-Compress's cache backend: the compressed bodies of files, by path and ETag (so a file
    changed on disk gets a new entry), least recently used first out. Anything else Flask-Compress
    offers it (the page, the API's answers: made per request) has an empty key and is not kept."""

    def __init__(self, max_files=MAX_FILES):
        self.max_files = max_files
        self.bodies = OrderedDict()

    def get(self, key):
        body = self.bodies.get(key)
        if body is not None:
            self.bodies.move_to_end(key)
        return body

    def set(self, key, body):
        if key.endswith(";"):  # Flask-Compress's "<algorithm>;" + an empty key: not a file
            return
        self.bodies[key] = body
        self.bodies.move_to_end(key)
        while len(self.bodies) > self.max_files:
            self.bodies.popitem(last=False)


def cache_key(req) -> str:
    return req.environ.get(KEY, "")


def read_whole_file(response):
    """A file sent whole with an ETag (send_from_directory's 200s), read into the response so that
    Flask-Compress compresses it through the cache instead of as a stream, and keyed by its path and
    ETag. Other responses pass as they are."""
    etag, weak = response.get_etag()
    if (request.method == "GET" and response.status_code == 200 and response.is_streamed and etag and not weak
            and response.mimetype in COMPRESSED_TYPES and "Content-Encoding" not in response.headers):
        response.direct_passthrough = False
        response.set_data(response.get_data())
        request.environ[KEY] = f"{request.path}|{etag}"
    return response


def compress(app):
    """Compress text, scripts and WebAssembly on the way out, each file once."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "deflate"])  # what is still streamed
    app.config.setdefault("COMPRESS_CACHE_BACKEND", CompressedFiles)
    app.config.setdefault("COMPRESS_CACHE_KEY", cache_key)
    Compress(app)
    # Flask runs after_request functions last registered first: the file is read whole before Flask-Compress's.
    app.after_request(read_whole_file)
