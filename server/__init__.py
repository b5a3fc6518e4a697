"""The realtime-fer web server.

    .venv/bin/python -m server                                      # eventlet, port $PORT (5000)
    gunicorn --config gunicorn.conf.py 'server:create_app()'        # the Procfile (eventlet, drains on SIGTERM)

`create_app` and `socketio_of` are imported lazily so that `python -m server` can monkey-patch
eventlet before Flask, socket or threading are imported.
"""

__all__ = ["create_app", "socketio_of"]


def __getattr__(name):
    if name in __all__:
        from server import app
        return getattr(app, name)
    raise AttributeError(f"module 'server' has no attribute {name!r}")
