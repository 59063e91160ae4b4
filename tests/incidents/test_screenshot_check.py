"""The screenshot check (incidents/screenshot_check.py) on synthetic screens read by the real Tesseract."""

import io
import random
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from incidents.screenshot_check import NOT_INSTALLED, ImageRefused, read_image
from tests.fixtures.screens.make_screens import (
    banner_screen,
    clean_screen,
    encoded,
    font,
    invalid_nhs_number,
    spaced,
    valid_nhs_number,
)

TESSERACT = Path("/usr/bin/tesseract")
needs_tesseract = pytest.mark.skipif(
    not TESSERACT.exists(), reason=f"needs Tesseract at {TESSERACT} (apt-get install tesseract-ocr)"
)


def screen_of(lines, scale=1.0):
    """A light screen with `lines` of text, scaled; and each line's box (left, top, right, bottom) in the
    scaled image's pixels."""
    image = Image.new("RGB", (1200, 400), "white")
    draw = ImageDraw.Draw(image)
    regular = font("DejaVuSans.ttf", 16)
    boxes = []
    for index, line in enumerate(lines):
        draw.text((40, 40 + index * 34), line, font=regular, fill="#212b32")
        boxes.append(
            tuple(round(v * scale) for v in draw.textbbox((40, 40 + index * 34), line, font=regular))
        )
    if scale != 1.0:
        image = image.resize((round(1200 * scale), round(400 * scale)), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue(), boxes


def inside(box, area, slack=4):
    left, top, width, height = box
    return (
        left >= area[0] - slack
        and top >= area[1] - slack
        and left + width <= area[2] + slack
        and top + height <= area[3] + slack
    )


@pytest.mark.parametrize("scale", [1.0, 1.5, 3.0])
@pytest.mark.subprocess
@needs_tesseract
def test_a_valid_nhs_number_is_held_masked_with_boxes_over_it_in_the_original_pixels(scale):
    number = valid_nhs_number(random.Random(3))
    data, areas = screen_of(["Consultation notes", f"Reference {spaced(number)} on file"], scale)

    finding = read_image(data)

    assert finding.held
    assert finding.reasons == [f"NHS number {number[:3]} *** ****"]
    assert number[3:] not in " ".join(finding.reasons)
    assert len(finding.boxes) == 3  # the number's three groups of digits
    assert all(inside(box, areas[1]) for box in finding.boxes)
    assert not any(inside(box, areas[0]) for box in finding.boxes)
    assert not hasattr(finding, "text")


@pytest.mark.subprocess
@needs_tesseract
def test_a_patient_banner_screen_is_held_for_its_number_and_labels():
    image, number = banner_screen(2)

    finding = read_image(encoded(image, 100, 2))

    assert finding.held and finding.checked
    assert f"NHS number {number[:3]} *** ****" in finding.reasons
    assert any(reason.startswith("banner label") for reason in finding.reasons)


@pytest.mark.subprocess
@needs_tesseract
def test_a_clean_screen_with_references_phone_numbers_dates_and_versions_passes():
    finding = read_image(encoded(clean_screen(1000), 100, 1000))

    assert finding == type(finding)(held=False, reasons=[], boxes=[], checked=True)


@pytest.mark.subprocess
@needs_tesseract
def test_ten_digits_with_a_wrong_check_digit_pass():
    number = invalid_nhs_number(random.Random(5))
    data, _ = screen_of([f"Order reference {spaced(number)}", f"Batch {number}"])

    assert not read_image(data).held


@pytest.mark.subprocess
@needs_tesseract
def test_a_date_beside_a_name_is_held_and_a_date_alone_is_not():
    named, areas = screen_of(["Mrs Jane Testpatient", "12/03/1957   Female"])
    alone, _ = screen_of(["Clinic list printed", "12/03/1957   10 appointments"])

    finding = read_image(named)

    assert finding.held
    assert finding.reasons == ["date of birth beside a name **/**/****"]
    assert finding.boxes and all(inside(box, areas[1]) for box in finding.boxes)
    assert not read_image(alone).held


def test_an_image_of_more_pixels_than_the_setting_is_refused_before_it_is_decoded(settings):
    settings.SCREENSHOT_MAX_PIXELS = 4_000_000
    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, format="PNG")  # 400 million pixels in a small file
    assert len(bomb.getvalue()) < 1_000_000

    with pytest.raises(ImageRefused, match=r"more pixels than can be checked \(at most 4,000,000\)"):
        read_image(bomb.getvalue())


def test_a_file_that_is_not_an_image_is_refused():
    with pytest.raises(ImageRefused, match="cannot be read as an image"):
        read_image(b"%PDF-1.7 not a picture")


@pytest.mark.subprocess
def test_without_tesseract_an_image_is_held_as_not_checked(settings, tmp_path):
    settings.SCREENSHOT_TESSERACT = str(tmp_path / "no-such-tesseract")
    data, _ = screen_of(["Nothing to see here"])

    finding = read_image(data)

    assert (finding.held, finding.checked, finding.reasons, finding.boxes) == (
        True,
        False,
        [NOT_INSTALLED],
        [],
    )


@pytest.mark.subprocess
def test_when_tesseract_fails_an_image_is_held_as_not_checked(settings):
    settings.SCREENSHOT_TESSERACT = "/bin/false"
    data, _ = screen_of(["Nothing to see here"])

    finding = read_image(data)

    assert (finding.held, finding.checked) == (True, False)
    assert finding.reasons == ["not checked: Tesseract failed (exit status 1)"]
