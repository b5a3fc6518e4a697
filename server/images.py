"""Untrusted bytes -> an RGB frame, refusing anything that is not a small enough JPEG, PNG or WebP.

The header is read first, so an image that declares huge dimensions is refused before a single
pixel is decoded. Nothing is written to disk or logged.
"""
import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = ("JPEG", "PNG", "WEBP")


class InputError(ValueError):
    """Bad input from a client: carries the HTTP status and a short machine-readable code."""

    def __init__(self, message, status=400, code="bad_request"):
        super().__init__(message)
        self.message, self.status, self.code = message, status, code

    def as_dict(self):
        return {"message": self.message, "code": self.code, "status": self.status}


def check_size(data, max_bytes):
    """Refuse empty payloads and payloads over `max_bytes`."""
    if len(data) == 0:
        raise InputError("expected an image, got an empty payload", 400, "empty_image")
    if len(data) > max_bytes:
        raise InputError(f"expected at most {max_bytes} bytes, got {len(data)}", 413, "payload_too_large")


def decode_image(data: bytes, max_bytes: int, max_pixels: int) -> np.ndarray:
    """JPEG/PNG/WebP bytes -> RGB uint8 (H, W, 3), upright per EXIF orientation."""
    check_size(data, max_bytes)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        if isinstance(error, UnidentifiedImageError):
            raise InputError(f"expected a JPEG, PNG or WebP image, got {len(data)} bytes starting {bytes(data[:8])!r}",
                             415, "unsupported_media_type") from None
        raise InputError(f"expected at most {max_pixels} pixels, got an image declaring more than Pillow's limit",
                         413, "image_too_large") from None
    if image.format not in FORMATS:
        raise InputError(f"expected a JPEG, PNG or WebP image, got {image.format}", 415, "unsupported_media_type")
    width, height = image.size
    if width * height > max_pixels:
        raise InputError(f"expected at most {max_pixels} pixels, got {width}x{height} = {width * height}",
                         413, "image_too_large")
    try:
        image.load()  # a truncated file fails here (Pillow does not fill in missing data by default)
        image = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, SyntaxError, ValueError) as error:
        raise InputError(f"expected a complete {image.format} image, got a broken one: {error}",
                         400, "corrupt_image") from None
    return np.asarray(image)
