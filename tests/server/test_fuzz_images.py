"""A seeded fuzz of the decoder: mutated JPEG, PNG and WebP bytes either decode to an RGB frame or
raise InputError with a 4xx. Anything else (an IndexError, a struct.error...) would be a 500."""
import io

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from server.images import InputError, decode_image

SEED = 22
MUTANTS_PER_SEED = 300


def seeds():
    rng = np.random.default_rng(SEED)
    photo = Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8))
    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "hello " * 50, zip=True)
    out = {}
    for name, image, fmt, params in [
        ("jpeg", photo, "JPEG", {"quality": 80}),
        ("progressive jpeg", photo, "JPEG", {"progressive": True, "exif": photo.getexif().tobytes()}),
        ("png", photo, "PNG", {"pnginfo": info}),
        ("palette png", photo.convert("P"), "PNG", {}),
        ("16-bit png", Image.fromarray(rng.integers(0, 65535, (16, 16), dtype=np.uint16)), "PNG", {}),
        ("webp", photo, "WEBP", {"quality": 70}),
        ("lossless webp", photo, "WEBP", {"lossless": True}),
    ]:
        buf = io.BytesIO()
        image.save(buf, fmt, **params)
        out[name] = buf.getvalue()
    return out


def mutate(data: bytes, rng) -> bytes:
    """One of: flip a few bytes, cut the tail, insert junk, repeat a slice."""
    data = bytearray(data)
    kind = rng.integers(4)
    if kind == 0:
        for i in rng.integers(0, len(data), rng.integers(1, 9)):
            data[i] = rng.integers(256)
    elif kind == 1:
        data = data[: rng.integers(1, len(data))]
    elif kind == 2:
        at = rng.integers(0, len(data))
        data[at:at] = rng.integers(0, 256, rng.integers(1, 64), dtype=np.uint8).tobytes()
    else:
        start = rng.integers(0, len(data))
        data[start:start] = data[start:start + rng.integers(1, 128)] * int(rng.integers(1, 8))
    return bytes(data)


@pytest.mark.parametrize("name", list(seeds()))
def test_mutated_images_decode_or_get_a_4xx(name):
    data = seeds()[name]
    rng = np.random.default_rng([SEED, len(data)])
    outcomes = {"decoded": 0}
    for i in range(MUTANTS_PER_SEED):
        mutant = mutate(data, rng)
        try:
            rgb = decode_image(mutant, 2 * 1024 * 1024, 4096 * 4096)
        except InputError as error:
            assert error.status in (400, 413, 415) and error.message, f"mutant {i}: {error.status} {error.message}"
            outcomes[error.code] = outcomes.get(error.code, 0) + 1
            continue
        except Exception as error:
            pytest.fail(f"{name} mutant {i} raised {type(error).__name__}: {error} (first bytes {mutant[:16]!r})")
        assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
        outcomes["decoded"] += 1
    print(f"\n{name}: {outcomes}")
