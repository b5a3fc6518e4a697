"""Hostile inputs, built in memory: the images and raw-protocol messages that bench.hardening
replays against a live server and tests/server/test_hardening*.py asserts on.

Each builder returns bytes (or text); none touches the disk or the network.
"""
import io
import json
import struct

import numpy as np
from PIL import Image, PngImagePlugin

SOS = b"\xff\xda"


def _save(image, fmt, **params):
    buf = io.BytesIO()
    image.save(buf, fmt, **params)
    return buf.getvalue()


def strip_png(width=10000, height=1):
    """A black strip (91 bytes at 10000x1): with detect=false its square crop once cost 1.5 GB."""
    return _save(Image.new("L", (width, height)), "PNG", optimize=True)


def scan_bomb(side=4096, repeats=20000):
    """A progressive JPEG whose last (tiny) scan is repeated: each repeat is a decoder pass over the image."""
    data = _save(Image.new("RGB", (side, side)), "JPEG", progressive=True, quality=10)
    last = data.rindex(SOS)
    return data[:last] + data[last:-2] * repeats + b"\xff\xd9"


def png_text_bomb(inflated=3 * 1024 * 1024):
    """A tiny PNG whose zTXt chunk inflates past Pillow's 1 MB limit."""
    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "a" * inflated, zip=True)
    return _save(Image.new("RGB", (8, 8)), "PNG", pnginfo=info)


def png_icc_bomb(inflated=3 * 1024 * 1024):
    """A tiny PNG whose iCCP chunk inflates past Pillow's 1 MB limit."""
    return _save(Image.new("RGB", (8, 8)), "PNG", icc_profile=b"\0" * inflated)


def sixteen_bit_gray_png(side=64):
    """A 16-bit grayscale ramp from black to white: mean 127.5 once scaled to 8 bits."""
    ramp = np.linspace(0, 65535, side * side).reshape(side, side).astype(np.uint16)
    return _save(Image.fromarray(ramp), "PNG")


def bad_exif_jpeg(tag_type=3, count=1000):
    """A JPEG whose EXIF orientation tag points past the end of its data."""
    exif = b"Exif\0\0II*\0" + struct.pack("<IHHHII", 8, 1, 0x0112, tag_type, count, 4000) + b"\0\0\0\0"
    return _save(Image.new("RGB", (32, 32), (90, 90, 90)), "JPEG", exif=exif)


def truncated(fmt, keep=0.5, side=64):
    """A small JPEG / PNG / WEBP cut after `keep` of its bytes (a fraction, or a byte count)."""
    data = _save(Image.new("RGB", (side, side), (120, 60, 30)), fmt)
    return data[: int(len(data) * keep) if isinstance(keep, float) else keep]


def malformed_images():
    """[(name, bytes)]: every malformed image the issue lists; each must get a 400 or a 415."""
    return [
        ("JPEG cut in its header", truncated("JPEG", 30)),
        ("WebP truncated", truncated("WEBP", 0.5)),
        ("PNG cut inside a chunk", truncated("PNG", 40)),
        ("PNG zTXt inflating past 1 MB", png_text_bomb()),
        ("PNG iCCP inflating past 1 MB", png_icc_bomb()),
        ("progressive JPEG scan bomb", scan_bomb(repeats=3000)),
        ("10000x1 strip", strip_png()),
    ]


def json_text_frame(megabytes=3):
    """A Socket.IO `frame` event as one text message: a JSON list of integers, `megabytes` long."""
    count = int(megabytes * 1024 * 1024) // 9  # "1234567, " is 9 characters
    return '42/stream,' + json.dumps(["frame", {"id": 1, "image": list(range(1_000_000, 1_000_000 + count))}])


def announcing_attachments(count=1000):
    """A binary Socket.IO event that announces `count` attachments and sends none."""
    return f'45{count}-/stream,["frame",{{"id":1,"image":{{"_placeholder":true,"num":0}}}}]'


def placeholder_past_attachments():
    """A binary event with one attachment whose placeholder points at the sixth."""
    return '451-/stream,["frame",{"id":2,"image":{"_placeholder":true,"num":5}}]'


class RawStream:
    """A Socket.IO client on /stream spoken by hand over one WebSocket (websocket-client), to send
    what a well-behaved client library never would."""

    def __init__(self, url, timeout=10, **options):
        import websocket

        self.ws = websocket.create_connection(url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket",
                                              timeout=timeout, **options)
        assert self.ws.recv().startswith("0"), "expected an Engine.IO open packet"
        self.ws.send("40/stream,")
        answer = self.next_packet()
        assert answer.startswith("40/stream,"), f"expected to join /stream, got {answer[:200]}"

    def next_packet(self):
        """The next Socket.IO packet (text), answering Engine.IO pings on the way."""
        while True:
            message = self.ws.recv()
            if message == "2":
                self.ws.send("3")
                continue
            return message

    def event(self):
        """The next event on /stream as (name, payload)."""
        packet = self.next_packet()
        assert packet.startswith("42/stream,"), f"expected an event, got {packet[:200]!r}"
        name, payload = json.loads(packet[len("42/stream,"):])
        return name, payload

    def send_frame(self, frame_id, image):
        """A well-formed `frame` event, the way socket.io-client sends one."""
        self.ws.send(f'451-/stream,["frame",{{"id":{json.dumps(frame_id)},"image":{{"_placeholder":true,"num":0}}}}]')
        self.ws.send_binary(image)

    def close(self):
        self.ws.close()
