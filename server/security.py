"""Security headers, the Content-Security-Policy, and which cross-origin callers are allowed.

The page loads everything from this server (no CDN), so the policy is 'self' plus what TF.js and
MediaPipe need: WebAssembly compilation ('wasm-unsafe-eval'), camera frames as blob: URLs, and
web workers from blob:. Adjust CONTENT_SECURITY_POLICY, and only it, if the page needs more.

The page is cross-origin isolated (COOP same-origin + COEP require-corp), because only then do
browsers hand out SharedArrayBuffer, and TF.js's WASM backend needs it to run XNNPACK on several
threads. Every file the page loads is from this server, so nothing needs a CORP header of its own.
"""
import base64
import hashlib
import io
import ipaddress
import json

from flask import Request, request

from server.pages import ASK_CAMERA_SCRIPT


def script_hash(text: str) -> str:
    """The CSP source that allows an inline <script> whose text is exactly `text`."""
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    # TF.js's WASM backend and MediaPipe compile WebAssembly. If MediaPipe's loader turns out to
    # need eval() itself, add "'unsafe-eval'" here (and say so in the README).
    # blob: because the WASM backend's thread workers load their script from a Blob it builds.
    # The hash: the page's one inline script, which asks for the camera as the page begins.
    "script-src": ["'self'", "'wasm-unsafe-eval'", "blob:", script_hash(ASK_CAMERA_SCRIPT)],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "media-src": ["'self'", "blob:"],
    "worker-src": ["'self'", "blob:"],
    # 'self' covers ws:/wss: to the same host only in CSP3 browsers; the exact socket URLs are
    # added per request in content_security_policy().
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # The page asks for the camera; nothing else.
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
}


def content_security_policy(host: str) -> str:
    """The CSP header value for a page served to `host` (host:port)."""
    policy = {k: list(v) for k, v in CONTENT_SECURITY_POLICY.items()}
    policy["connect-src"] += [f"ws://{host}", f"wss://{host}"]
    return "; ".join(f"{directive} {' '.join(sources)}" for directive, sources in policy.items())


def origin_allowed(origin, environ, allowed) -> bool:
    """Same-origin callers, and those in `allowed` (or everyone with '*'), may use the API and the socket."""
    if origin is None:  # not a browser cross-origin call (curl, python clients)
        return True
    if "*" in allowed or origin in allowed:
        return True
    host = environ.get("HTTP_HOST", "")
    return origin in (f"http://{host}", f"https://{host}")


def host_name(host: str) -> str:
    """'Name:port', '[::1]:port' or 'name' -> the name, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host: str, allowed_hosts) -> bool:
    """DNS rebinding needs a name that the attacker's DNS points at this server: an IP address
    or localhost cannot be rebound, so those are always served; any other name only when
    configured (FER_ALLOWED_HOSTS, or '*' for every name)."""
    if not host or "*" in allowed_hosts:
        return True  # no Host header: HTTP/1.0 tools, never a browser
    name = host_name(host)
    if name == "localhost" or name in allowed_hosts:
        return True
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


class Gate:
    """WSGI middleware around everything, Socket.IO included: refuses unknown Host names, puts the
    security headers on every response (/socket.io/ too, which never reaches Flask's hooks), and
    lets Werkzeug read chunked request bodies, which eventlet's server de-chunks but does not flag."""

    def __init__(self, app, allowed_hosts):
        self.app = app
        self.allowed_hosts = {h.lower() for h in allowed_hosts}

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST", "")
        if not host_allowed(host, self.allowed_hosts):
            body = json.dumps({"error": f"expected a Host this server is configured for, got {host_name(host)!r} "
                                        "(set FER_ALLOWED_HOSTS)", "code": "unknown_host"}).encode()
            start_response("421 Misdirected Request", [("Content-Type", "application/json"),
                                                       ("Content-Length", str(len(body))), *SECURITY_HEADERS.items()])
            return [body]
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            environ.setdefault("wsgi.input_terminated", True)  # Werkzeug still caps it at MAX_CONTENT_LENGTH

        def start(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            extra = [(name, value) for name, value in SECURITY_HEADERS.items() if name.lower() not in present]
            return start_response(status, list(headers) + extra, exc_info)
        return self.app(environ, start)


def add_headers(response, allowed_origins):
    """after_request hook: security headers on everything, CSP on pages, CORS on the API."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = content_security_policy(request.host)
    origin = request.headers.get("Origin")
    if request.path.startswith("/api/") and origin and origin_allowed(origin, request.environ, allowed_origins):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers.add("Vary", "Origin")
    return response


class InMemoryRequest(Request):
    """Uploads stay in memory: Werkzeug would spool any file over 500 kB to a temporary file on
    disk, and no upload may touch the disk. MAX_CONTENT_LENGTH bounds the memory this takes."""

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        return io.BytesIO()
