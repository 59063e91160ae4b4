"""Reading a screenshot for patient data before anyone at the desk can open it (issue 18).

A screenshot of a clinical system usually shows the patient banner: name, date of birth, NHS number.
`read_image(data)` re-encodes the image with Pillow (refusing decompression bombs), reads it with
Tesseract's word-level output, and passes each line read through the same NHS-number guard as typed text
(servicedesk/lib/nhs.py), then looks for a date beside a name and for the labels banners carry ("NHS No",
"DOB", "Born"). It returns the decision, short reasons with what was found masked, and the boxes of the
matched words in the original image's pixels, for the editor to suggest; never the text read.

Tesseract is called directly (`tesseract stdin stdout ... tsv`) rather than through pytesseract: one call
with a PNG on stdin and TSV on stdout is all we need, and pytesseract would add a dependency that writes
temporary files to do the same.
"""

import csv
import io
import os
import re
import subprocess
import warnings
from dataclasses import dataclass, field

from django.conf import settings

from servicedesk.lib.nhs import digits, find_nhs_number_spans

NOT_INSTALLED = "not checked: Tesseract is not installed"
# Tesseract reads best when capitals are 20-30 px tall (its documentation's advice on image quality);
# screenshots' text is 10-14 px, so narrow images are scaled up, at most twice, towards this width.
# Wider images (a screen at 200%) are scaled down towards it, at most by half, so that text reaches
# Tesseract, and the blur that finds dark areas, at about one size whatever the screen's scaling.
_TARGET_WIDTH = 3000
_MAX_UPSCALE, _MAX_DOWNSCALE = 2.0, 0.5
_BANNER_WORDS = re.compile(
    r"\bNHS\s*(?:No|Number|Num)\b\.?|\bD\.?\s?O\.?\s?B\b\.?|\bBorn\b|\bDate of birth\b", re.IGNORECASE
)
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
_DATE = re.compile(
    rf"\b(?:[0-3]?\d[/.-][01]?\d[/.-](?:19|20)\d\d|[0-3]?\d[ -](?:{_MONTHS})[a-z]*[ -](?:19|20)\d\d)\b",
    re.IGNORECASE,
)
# A name as banners show it: a title and a capitalised word ("Mrs Jane Doe"), or "SURNAME, Forename".
_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+[A-Z][a-zA-Z'-]+|\b[A-Z][A-Z'-]{1,}\s*,\s*[A-Z][a-z]+")


class ImageRefused(ValueError):
    """The bytes are not an image Pillow can decode safely (unreadable, or too many pixels)."""


@dataclass
class Finding:
    """The decision on one image: held or not, why (with what was found masked), and where."""

    held: bool
    reasons: list = field(default_factory=list)
    boxes: list = field(default_factory=list)  # (left, top, width, height) in the original image's pixels
    checked: bool = True


@dataclass
class _Word:
    text: str
    box: tuple
    start: int = 0  # its offset in the line's text


def read_image(data):
    """The decision on `data`, the bytes of an uploaded image. Raises ImageRefused for what Pillow cannot
    or must not decode; returns a held, unchecked Finding when Tesseract is not installed."""
    image, scale = _prepared(data)
    try:
        lines = _read_lines(image)
    except FileNotFoundError:
        return _not_checked(NOT_INSTALLED)
    except subprocess.TimeoutExpired:
        return _not_checked(f"not checked: reading took longer than {settings.SCREENSHOT_OCR_SECONDS} s")
    except subprocess.CalledProcessError as error:
        return _not_checked(f"not checked: Tesseract failed (exit status {error.returncode})")
    reasons, words = [], []
    named = [bool(_NAME.search(_text(line))) for line in lines]
    for index, line in enumerate(lines):
        beside_name = any(named[max(0, index - 1) : index + 2])
        for reason, matched in _line_findings(line, beside_name):
            reasons.append(reason)
            words.extend(matched)
    boxes = [tuple(round(v / scale) for v in word.box) for word in words]
    return Finding(held=bool(reasons), reasons=list(dict.fromkeys(reasons)), boxes=list(dict.fromkeys(boxes)))


def _not_checked(reason):
    """Held, since nobody knows what it shows."""
    return Finding(held=True, reasons=[reason], checked=False)


def _prepared(data):
    """A greyscale copy of the image, dark text on light, scaled for Tesseract; and the scale used.
    Only decoded pixels go on, so nothing crafted in the file reaches Tesseract."""
    from PIL import Image, ImageOps

    limit = settings.SCREENSHOT_MAX_PIXELS
    too_many = f"The image has more pixels than can be checked (at most {limit:,})."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:  # reads the header only
                if image.width * image.height > limit:
                    raise ImageRefused(too_many)
                frames = getattr(image, "n_frames", 1)
                if frames > 1:  # an animation: reading its first frame would pass what the others show
                    raise ImageRefused(f"The image has {frames} frames; only still screenshots are read.")
                grey = ImageOps.exif_transpose(image).convert("L")
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ImageRefused(too_many) from None
    except ImageRefused:
        raise
    except (OSError, ValueError):
        raise ImageRefused("The file cannot be read as an image.") from None
    scale = min(_MAX_UPSCALE, max(_MAX_DOWNSCALE, _TARGET_WIDTH / grey.width))
    if scale != 1:
        grey = grey.resize((round(grey.width * scale), round(grey.height * scale)), Image.Resampling.LANCZOS)
    return ImageOps.autocontrast(_dark_on_light(grey)), scale  # at Tesseract's scale: text of one size


def _dark_on_light(grey):
    """`grey` with every area of light text on a dark background (dark mode, a coloured banner or side
    panel) inverted, since Tesseract reads dark text on light: an area's background is its blurred
    shade, which the few pixels of text barely change."""
    from PIL import Image, ImageFilter, ImageOps

    dark = grey.filter(ImageFilter.BoxBlur(24)).point(lambda shade: 255 if shade < 128 else 0)
    return Image.composite(ImageOps.invert(grey), grey, dark)


def _read_lines(image):
    """Tesseract's words, grouped in lines: each a list of _Word with its box in `image`'s pixels."""
    if not settings.SCREENSHOT_TESSERACT:  # switched off: as if not installed
        raise FileNotFoundError("SCREENSHOT_TESSERACT is empty")
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    result = subprocess.run(  # noqa: S603 - the command is a setting, the input our own PNG
        [
            settings.SCREENSHOT_TESSERACT,
            "stdin",
            "stdout",
            "-l",
            "eng",
            "--psm",
            "11",
            "-c",
            "thresholding_method=2",
            "tsv",
        ],
        input=out.getvalue(),
        capture_output=True,
        timeout=settings.SCREENSHOT_OCR_SECONDS,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        check=True,
    )
    lines = {}
    rows = csv.DictReader(io.StringIO(result.stdout.decode("utf-8", "replace")), delimiter="\t", quoting=3)
    for row in rows:
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        key = (row["page_num"], row["block_num"], row["par_num"], row["line_num"])
        box = tuple(int(row[name]) for name in ("left", "top", "width", "height"))
        lines.setdefault(key, []).append(_Word(text, box))
    return [_joined(words) for words in lines.values()]


def _joined(words):
    offset = 0
    for word in words:
        word.start = offset
        offset += len(word.text) + 1
    return words


def _text(words):
    return " ".join(word.text for word in words)


def _line_findings(words, beside_name):
    """(reason, matched words) for each thing in the line that holds the image; a date counts when the
    line or one next to it reads as a name."""
    text = _text(words)
    for start, end in find_nhs_number_spans(text):
        yield f"NHS number {_masked(text[start:end], keep=3)}", _within(words, start, end)
    for match in _BANNER_WORDS.finditer(text):
        yield f"banner label “{match.group().strip()}”", _within(words, *match.span())
    if beside_name:
        for match in _DATE.finditer(text):
            yield (
                f"date of birth beside a name {_masked(match.group(), keep=0)}",
                _within(words, *match.span()),
            )


def _within(words, start, end):
    return [word for word in words if word.start < end and word.start + len(word.text) > start]


def _masked(found, keep):
    """`found` with every digit after the first `keep` shown as *: '943 *** ****'."""
    shown = len(digits(found))
    out, seen = [], 0
    for ch in found:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= keep else "*")
        else:
            out.append(ch)
    return "".join(out) if shown else found
