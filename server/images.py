"""Untrusted bytes -> an RGB frame, refusing anything that is not a small enough JPEG, PNG or WebP.

The header is read first, so an image that declares huge dimensions is refused before a single
pixel is decoded; a JPEG made of many scans (each one a full pass of the decoder over the image)
is refused before decoding too. Only Pillow's JPEG, PNG and WebP parsers ever see the bytes.
Whatever else the decoder raises on hostile bytes is a broken image (400), never a server error.
Nothing is written to disk or logged.
"""
import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = ("JPEG", "PNG", "WEBP")
# Refused before decoding. A baseline JPEG has one scan per component group and libjpeg's
# progressive default has 10; a "scan bomb" repeats a 16-byte scan thousands of times, and each
# repeat costs a pass over the whole image (566 kB of them took 9-15 s to decode).
MAX_JPEG_SCANS = 100
# Longest side over shortest. Phone panoramas stay under 10:1; a 16777216x1 strip is no photo.
MAX_ASPECT_RATIO = 20
SOS = b"\xff\xda"  # JPEG start-of-scan marker; inside scan data a 0xFF byte is always followed by 0x00
# First bytes of each accepted format: bytes that start like one but fail to parse are a broken
# image of that format (400), not an unsupported one (415).
SIGNATURES = {"JPEG": (b"\xff\xd8\xff",), "PNG": (b"\x89PNG\r\n\x1a\n",), "WebP": (b"RIFF",)}
SIXTEEN_BIT_GRAY = {"I;16", "I;16B", "I;16L", "I;16N", "I"}


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


def sniff(data):
    """The accepted format these bytes claim to be by their first bytes, or None."""
    head = bytes(data[:12])
    for fmt, signatures in SIGNATURES.items():
        if any(head.startswith(sig) for sig in signatures) and (fmt != "WebP" or head[8:12] == b"WEBP"):
            return fmt
    return None


def _open(data, max_pixels: int) -> Image.Image:
    """Read the header only, with nothing but the accepted formats' parsers."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError:
        fmt = sniff(data)
        if fmt:
            raise InputError(f"expected a complete {fmt} image, got {len(data)} bytes whose header is broken",
                             400, "corrupt_image") from None
        raise InputError(f"expected a JPEG, PNG or WebP image, got {len(data)} bytes starting {bytes(data[:8])!r}",
                         415, "unsupported_media_type") from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise InputError(f"expected at most {max_pixels} pixels, got an image declaring more than Pillow's limit",
                         413, "image_too_large") from None
    except Exception as error:  # any parser failure on hostile header bytes (PNG chunk bombs, bad EXIF, ...)
        raise InputError(f"expected a valid image header, got a broken one: {error}", 400, "corrupt_image") from None


def check_dimensions(image: Image.Image, data, max_pixels: int):
    """Refuse what would cost too much to decode, from the header alone."""
    width, height = image.size
    if width * height > max_pixels:
        raise InputError(f"expected at most {max_pixels} pixels, got {width}x{height} = {width * height}",
                         413, "image_too_large")
    if max(width, height) > MAX_ASPECT_RATIO * max(1, min(width, height)):
        raise InputError(f"expected an aspect ratio of at most {MAX_ASPECT_RATIO}:1, got {width}x{height}",
                         400, "bad_dimensions")
    if image.format == "JPEG":
        scans = bytes(data).count(SOS)
        if scans > MAX_JPEG_SCANS:
            raise InputError(f"expected a JPEG of at most {MAX_JPEG_SCANS} scans, got {scans}", 400, "too_many_scans")


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in SIXTEEN_BIT_GRAY:
        # Pillow's convert() clips 16-bit values at 255, which turns a 16-bit gray PNG nearly white;
        # scale 0..65535 down to 0..255 instead.
        gray = np.asarray(image).astype(np.uint32) // 257
        image = Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8), "L")
    return image.convert("RGB")


def _upright(image: Image.Image) -> Image.Image:
    try:
        # In place: without it every upright frame (nearly all of them) is copied, 0.3 ms at 640x480.
        ImageOps.exif_transpose(image, in_place=True)
    except Exception:  # a broken EXIF block says nothing reliable about orientation: keep the pixels as sent
        pass
    return image


def decode_image(data: bytes, max_bytes: int, max_pixels: int) -> np.ndarray:
    """JPEG/PNG/WebP bytes -> RGB uint8 (H, W, 3), upright per EXIF orientation."""
    check_size(data, max_bytes)
    image = _open(data, max_pixels)
    check_dimensions(image, data, max_pixels)
    fmt = image.format
    try:
        image.load()  # a truncated file fails here (Pillow does not fill in missing data by default)
        rgb = np.asarray(_to_rgb(_upright(image)))
    except Exception as error:  # whatever a decoder raises on hostile pixel data is a broken image
        raise InputError(f"expected a complete {fmt} image, got a broken one: {error or type(error).__name__}",
                         400, "corrupt_image") from None
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.size == 0:
        raise InputError(f"expected a {fmt} image with pixels, got shape {rgb.shape}", 400, "corrupt_image")
    return rgb
