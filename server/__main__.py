"""`python -m server`: serve on $FER_HOST:$PORT with eventlet (what `make run` calls)."""
import eventlet

eventlet.monkey_patch()  # before anything else imports socket or threading

import logging  # noqa: E402
import os  # noqa: E402

from server.app import create_app, socketio_of  # noqa: E402
from server.config import _int  # noqa: E402
from server.serving import DRAIN_TIMEOUT_S, serve  # noqa: E402


def drain_timeout_s(environ=os.environ):
    """FER_DRAIN_TIMEOUT_S: on SIGTERM, how long to wait for the work in flight before exiting (30 s;
    the Procfile's gunicorn has its --graceful-timeout instead)."""
    text = environ.get("FER_DRAIN_TIMEOUT_S")
    return _int("FER_DRAIN_TIMEOUT_S", text) if text else DRAIN_TIMEOUT_S


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app()
    settings = app.config
    logging.getLogger("server").info("serving %s with detector %s on %s://%s:%d", settings["MODEL_DIR"],
                                     settings["DETECTOR"], "https" if settings["CERTFILE"] else "http",
                                     settings["HOST"], settings["PORT"])
    serve(app, socketio_of(app), settings["HOST"], settings["PORT"], settings["MAX_CONNECTIONS"],
          settings["CERTFILE"], settings["KEYFILE"], drain_timeout_s=drain_timeout_s(),
          max_per_address=settings["MAX_CONNECTIONS_PER_ADDRESS"])


if __name__ == "__main__":
    main()
