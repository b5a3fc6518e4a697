"""`python -m server`: serve on $FER_HOST:$PORT with eventlet (what `make run` calls)."""
import eventlet

eventlet.monkey_patch()  # before anything else imports socket or threading

import logging  # noqa: E402

from server.app import create_app, socketio_of  # noqa: E402
from server.serving import serve  # noqa: E402


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app()
    settings = app.config
    logging.getLogger("server").info("serving %s with detector %s on %s://%s:%d", settings["MODEL_DIR"],
                                     settings["DETECTOR"], "https" if settings["CERTFILE"] else "http",
                                     settings["HOST"], settings["PORT"])
    serve(app, socketio_of(app), settings["HOST"], settings["PORT"], settings["MAX_CONNECTIONS"],
          settings["CERTFILE"], settings["KEYFILE"])


if __name__ == "__main__":
    main()
