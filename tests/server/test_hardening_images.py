"""Hostile images, in-process: each gets a clear 4xx from the decoder, and no crop grows past its bound."""
import numpy as np
import pytest

from bench import attacks
from server.crop import MAX_CROP_SIDE, square_crop
from server.images import MAX_JPEG_SCANS, InputError, decode_image

MB = 1024 * 1024


def decode(data):
    return decode_image(data, 2 * MB, 4096 * 4096)


@pytest.mark.parametrize("name,data", attacks.malformed_images(), ids=[n for n, _ in attacks.malformed_images()])
def test_each_malformed_image_is_a_clear_4xx(name, data):
    with pytest.raises(InputError) as caught:
        decode(data)
    assert caught.value.status in (400, 413, 415) and caught.value.message, name
    assert caught.value.code != "unsupported_media_type" or "JPEG, PNG or WebP" in caught.value.message


def test_a_scan_bomb_is_refused_by_its_scan_count():
    with pytest.raises(InputError) as caught:
        decode(attacks.scan_bomb(side=512, repeats=MAX_JPEG_SCANS))
    assert caught.value.code == "too_many_scans" and str(MAX_JPEG_SCANS) in caught.value.message
    # an ordinary progressive JPEG (10 scans) still decodes
    assert decode(attacks.scan_bomb(side=512, repeats=1)).shape == (512, 512, 3)


def test_a_broken_png_header_is_a_broken_png_not_an_unknown_format():
    with pytest.raises(InputError) as caught:
        decode(attacks.truncated("PNG", 40))
    assert (caught.value.status, caught.value.code) == (400, "corrupt_image") and "PNG" in caught.value.message


def test_extreme_aspect_ratios_are_refused():
    with pytest.raises(InputError) as caught:
        decode(attacks.strip_png(10000, 1))
    assert (caught.value.status, caught.value.code) == (400, "bad_dimensions") and "10000x1" in caught.value.message
    assert decode(attacks.strip_png(400, 20)).shape == (20, 400, 3)  # 20:1 is still a picture


def test_sixteen_bit_gray_png_keeps_its_tones():
    rgb = decode(attacks.sixteen_bit_gray_png())
    assert rgb.shape == (64, 64, 3) and rgb[0, 0, 0] == 0 and rgb[-1, -1, 0] == 255
    assert abs(rgb.mean() - 127.5) < 1, f"expected a ramp averaging mid-gray, got mean {rgb.mean():.1f}"


def test_a_broken_exif_block_leaves_the_image_as_sent():
    rgb = decode(attacks.bad_exif_jpeg())
    assert rgb.shape == (32, 32, 3) and abs(int(rgb[16, 16, 0]) - 90) < 4


def test_an_exif_orientation_turns_the_image_upright():
    """A phone's portrait photo: pixels stored landscape, EXIF orientation 6 (turn 90 degrees clockwise)."""
    import io

    from PIL import Image
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:, :20] = 255  # the left half white: after the turn, the top half
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    Image.fromarray(stored).save(out, "JPEG", quality=95, exif=exif)
    rgb = decode(out.getvalue())
    assert rgb.shape == (40, 20, 3)
    assert rgb[:15].mean() > 240 and rgb[25:].mean() < 15, "expected the white half on top"


def test_the_crop_of_a_long_strip_is_bounded():
    """detect=false takes the whole image as the face box: the square it makes is shrunk, not allocated whole."""
    strip = np.full((200, 4000, 3), 255, np.uint8)
    crop = square_crop(strip, (0, 0, 4000, 200))
    assert crop.shape == (MAX_CROP_SIDE, MAX_CROP_SIDE, 3)
    rows = np.flatnonzero(crop[:, MAX_CROP_SIDE // 2, 0])  # the strip lands as a centred band, black above and below
    assert crop[0, 0, 0] == 0 and abs(len(rows) - 200 * MAX_CROP_SIDE / 4000) <= 2
    assert abs(rows.mean() - MAX_CROP_SIDE / 2) <= 2


def test_a_small_crop_is_unchanged_by_the_bound():
    frame = np.random.default_rng(0).integers(0, 256, (300, 300, 3), dtype=np.uint8)
    np.testing.assert_array_equal(square_crop(frame, (10, 20, 100, 100)), frame[20:120, 10:110])


def test_detect_false_on_a_wide_image_answers_with_one_face(client):
    wide = attacks.strip_png(4000, 200)
    response = client.post("/api/predict?detect=false", data=wide, content_type="image/png")
    assert response.status_code == 200, response.get_json()
    assert [f["box"] for f in response.get_json()["faces"]] == [[0, 0, 4000, 200]]
    refused = client.post("/api/predict?detect=false", data=attacks.strip_png(), content_type="image/png")
    assert refused.status_code == 400 and refused.get_json()["code"] == "bad_dimensions"
