"""Decoding untrusted bytes: every kind of bad image gets its own status and code."""
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from server.images import InputError, decode_image
from tests.support.images import encode

MB = 1024 * 1024


def png_declaring(width, height):
    """A tiny valid PNG whose header is rewritten to declare width x height (CRC fixed up)."""
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    ihdr = data[12:29]  # chunk type + 13 bytes of IHDR data
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    return bytes(data)


def jpeg_declaring(width, height):
    """A small valid JPEG whose SOF0 header is rewritten to declare width x height."""
    data = bytearray(encode(np.zeros((64, 64, 3), np.uint8)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def decode(data, max_bytes=2 * MB, max_pixels=4096 * 4096):
    return decode_image(data, max_bytes, max_pixels)


def expect_error(data, status, code, **limits):
    with pytest.raises(InputError) as caught:
        decode(data, **limits)
    assert (caught.value.status, caught.value.code) == (status, code), caught.value.message
    return caught.value


@pytest.mark.parametrize("ext", [".jpg", ".png", ".webp"])
def test_decodes_each_accepted_format_to_rgb(astronaut, ext):
    rgb = decode(encode(astronaut, ext))
    assert rgb.shape == (512, 512, 3) and rgb.dtype == np.uint8
    assert np.abs(rgb.astype(int) - astronaut).mean() < 6, "decoded pixels differ from the photo"


def test_png_with_alpha_and_gray_become_rgb():
    rgba = Image.new("RGBA", (10, 8), (10, 20, 30, 40))
    buf = io.BytesIO()
    rgba.save(buf, "PNG")
    assert decode(buf.getvalue()).shape == (8, 10, 3)
    gray = encode(np.full((6, 7, 3), 99, np.uint8), ".png")
    assert decode(gray).shape == (6, 7, 3)


def test_not_an_image_is_415():
    error = expect_error(b"hello, this is text", 415, "unsupported_media_type")
    assert "JPEG, PNG or WebP" in error.message and "hello" in error.message


def test_other_image_formats_are_415():
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "GIF")
    error = expect_error(buf.getvalue(), 415, "unsupported_media_type")
    assert "GIF" in error.message


def test_truncated_jpeg_is_400(astronaut_jpeg):
    error = expect_error(astronaut_jpeg[: len(astronaut_jpeg) // 2], 400, "corrupt_image")
    assert "truncated" in error.message


def test_empty_payload_is_400():
    expect_error(b"", 400, "empty_image")


def test_payload_over_the_limit_is_413(astronaut_jpeg):
    error = expect_error(astronaut_jpeg, 413, "payload_too_large", max_bytes=len(astronaut_jpeg) - 1)
    assert str(len(astronaut_jpeg)) in error.message
    assert decode(astronaut_jpeg, max_bytes=len(astronaut_jpeg)).shape == (512, 512, 3)  # exactly at the limit is fine


@pytest.mark.parametrize("data", [jpeg_declaring(5000, 5000), png_declaring(5000, 5000), png_declaring(100_000, 100_000)],
                         ids=["jpeg 25 Mpx", "png 25 Mpx", "png 10 Gpx (over Pillow's own limit)"])
def test_huge_declared_dimensions_are_413_before_decoding(data):
    error = expect_error(data, 413, "image_too_large")
    assert str(4096 * 4096) in error.message


def test_pixel_limit_is_configurable(astronaut):
    expect_error(encode(astronaut, ".png"), 413, "image_too_large", max_pixels=512 * 512 - 1)
