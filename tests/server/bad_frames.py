"""Every bad `frame` payload the issue lists, with the error code the server must answer."""
import os

from tests.server.test_images import jpeg_declaring, png_declaring

MB = 1024 * 1024


def bad_frames(good_jpeg, max_bytes=2 * MB):
    """[(case name, payload, expected code, expected id or None)]."""
    return [
        ("not an image", {"id": 101, "image": b"this is not an image at all"}, "unsupported_media_type", 101),
        ("truncated JPEG", {"id": 102, "image": good_jpeg[: len(good_jpeg) // 3]}, "corrupt_image", 102),
        ("over the size limit", {"id": 103, "image": os.urandom(max_bytes + 1)}, "payload_too_large", 103),
        ("huge declared JPEG", {"id": 104, "image": jpeg_declaring(30000, 30000)}, "image_too_large", 104),
        ("huge declared PNG", {"id": "p105", "image": png_declaring(65000, 65000)}, "image_too_large", "p105"),
        ("empty image", {"id": 106, "image": b""}, "empty_image", 106),
        ("image as text", {"id": 107, "image": "data:image/jpeg;base64,AAAA"}, "bad_request", 107),
        ("image missing", {"id": 108}, "bad_request", 108),
        ("detect not a boolean", {"id": 109, "image": good_jpeg, "detect": "no"}, "bad_request", 109),
        ("id missing", {"image": good_jpeg}, "bad_request", None),
        ("id of a wrong type", {"id": [1, 2], "image": good_jpeg}, "bad_request", None),
        ("id too long", {"id": "x" * 65, "image": good_jpeg}, "bad_request", None),
        ("payload not an object", "just a string", "bad_request", None),
        ("payload a list", [1, 2, 3], "bad_request", None),
    ]
