"""Versioned URLs for the files the page loads: the URL with `?v=` and a hash of the files' content.
A browser may keep such a file a year without asking again (Cache-Control immutable), since a file
that changes gets a new URL; a request with any other `v` (an old page, a URL typed by hand) gets
the file revalidated on each use (ETag), as an unversioned one.
"""
import functools
import hashlib
from pathlib import Path

from flask import request

FOR_GOOD = 365 * 24 * 3600  # a year: what browsers take as "for good"


def content_version(*paths) -> str:
    """16 hex digits of the SHA-256 of the files' bytes, in order; read again only when one of them
    changes (its size or modification time)."""
    stats = tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in map(Path, paths))
    return _digest(stats)


@functools.lru_cache(maxsize=256)
def _digest(stats) -> str:
    digest = hashlib.sha256()
    for path, _, _ in stats:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


def versioned(url: str, *paths) -> str:
    """`url` with the version of the files it serves (one file, or a model and its weight shards)."""
    return f"{url}?v={content_version(*paths)}"


def cache_for_good(response):
    """Let browsers keep `response` a year without asking again."""
    response.cache_control.no_cache = None
    response.cache_control.public = True
    response.cache_control.max_age = FOR_GOOD
    response.cache_control.immutable = True
    return response


def asked_for(*paths) -> bool:
    """Whether the request's `v` is the files' current version."""
    asked = request.args.get("v")
    return bool(asked) and asked == content_version(*paths)
