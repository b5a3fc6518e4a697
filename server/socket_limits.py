"""Bounds on what one Socket.IO message may cost, checked before it is parsed or buffered.

Engine.IO's max_http_buffer_size bounds one WebSocket frame, or one attachment, not a message:
a message sent as endless fragments, or a binary event announcing a thousand attachments, was
held in memory without limit (and the announced packet outlived its connection). A text message
is JSON and is parsed on the event loop, where a 3 MB one stalls every client; frames carry their
image as a binary attachment, so a legitimate text message is a few hundred bytes.
"""
import logging

MAX_TEXT_MESSAGE_BYTES = 64 * 1024
MAX_ATTACHMENTS = 1  # a `frame` carries one image
log = logging.getLogger(__name__)


def bound_websocket_messages():
    """Make eventlet's WebSocket refuse a message whose fragments add up past the frame limit
    (close code 1009), instead of joining them without end. Idempotent."""
    from eventlet import websocket

    message = websocket.RFC6455WebSocket.Message
    if getattr(message, "bounded", False):
        return
    push = message.push

    def bounded_push(self, data, final=False):
        self.size = getattr(self, "size", 0) + len(data)
        if self.size > self.max_frame_length:
            raise websocket.FailedConnectionError(
                1009, f"expected a message of at most {self.max_frame_length} bytes, got more")
        push(self, data, final)

    message.push = bounded_push
    message.bounded = True


def install(sio, namespace, max_text=MAX_TEXT_MESSAGE_BYTES, max_attachments=MAX_ATTACHMENTS):
    """Put the bounds in front of python-socketio server `sio`'s message handling. A refused
    message gets an `error` event on `namespace` (when the client is connected there) and the
    connection goes on."""
    handle_message, handle_disconnect = sio._handle_eio_message, sio._handle_eio_disconnect
    pending = sio._binary_packet  # eio sid -> a binary packet waiting for its attachments

    def refuse(eio_sid, message, status, code):
        sid = sio.manager.sid_from_eio_sid(eio_sid, namespace)
        if sid is not None:
            sio.emit("error", {"message": message, "code": code, "status": status}, to=sid, namespace=namespace)

    def on_message(eio_sid, data):
        waiting = pending.get(eio_sid)
        if waiting is None and isinstance(data, str) and len(data) > max_text:
            return refuse(eio_sid, f"expected a text message of at most {max_text} bytes, got {len(data)}; "
                          "send images as binary", 413, "payload_too_large")
        try:
            handle_message(eio_sid, data)
        except Exception as error:  # a malformed packet, or a placeholder past its attachments
            pending.pop(eio_sid, None)  # else every later message is taken for an attachment
            return refuse(eio_sid, f"expected a well-formed Socket.IO message, got one that failed: {error}",
                          400, "bad_request")
        announced = pending.get(eio_sid)
        if announced is not None and announced is not waiting and announced.attachment_count > max_attachments:
            del pending[eio_sid]
            refuse(eio_sid, f"expected at most {max_attachments} binary attachment per message, "
                   f"got {announced.attachment_count} announced", 400, "bad_request")

    def on_disconnect(eio_sid, reason=None):
        pending.pop(eio_sid, None)
        return handle_disconnect(eio_sid, reason)

    sio.eio.on("message", on_message)
    sio.eio.on("disconnect", on_disconnect)
