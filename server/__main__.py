"""`python -m server`: serve on $FER_HOST:$PORT with eventlet (what `make run` calls)."""
import eventlet

eventlet.monkey_patch()  # before anything else imports socket or threading

import logging  # noqa: E402

from server.app import create_app, socketio_of  # noqa: E402


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app()
    host, port = app.config["HOST"], app.config["PORT"]
    tls = {"certfile": app.config["CERTFILE"], "keyfile": app.config["KEYFILE"]} if app.config["CERTFILE"] else {}
    logging.getLogger("server").info("serving %s with detector %s on %s://%s:%d", app.config["MODEL_DIR"],
                                     app.config["DETECTOR"], "https" if tls else "http", host, port)
    # log_output=False: the access log would record every request line; frames are never logged anyway.
    socketio_of(app).run(app, host=host, port=port, log_output=False, **tls)


if __name__ == "__main__":
    main()
