"""The text that an attached file carries, for the NHS-number guard: what a person could read in it.

Of an image, its metadata and anything after its end, not the pixels (text drawn in it waits for OCR).
The images are walked by hand rather than opened with Pillow, which reads a PNG's text chunks after the
image data, and a GIF's comments after its first frame, only while decoding the pixels (a small file can
decode to gigabytes). Walking to the end marker also proves that the file is the format its first bytes
claim.
"""

import json
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

from django.conf import settings

# Where the text was found, for the refusal message.
TEXT = "text"
METADATA = "metadata"
AFTER_END = "after the end"

METADATA_MAX_CHARS = 4_000_000  # decompressed PNG text, in all; ordinary metadata is a few kilobytes
PDF_MEMORY_BYTES = 1024 * 1024 * 1024  # address space of the PDF reader's process
_PDF_WORKER = Path(__file__).with_name("pdf_worker.py")

# Control characters and undecodable bytes end a piece of text; four line breaks keep the pieces apart
# (the NHS-number detector joins digits across at most three characters).
_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]+")
_APART = "\n\n\n\n"
# Text in binary data, as `strings` finds it: runs of ten characters or more (an NHS number's digits) read
# as UTF-8, and Latin ones as UTF-16 at either byte offset (Windows keeps some image properties so).
_UTF8_RUN = re.compile(r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]{10,}")
_UTF16_RUN = re.compile(r"[\t\n\r\x20-\x7e\xa0-\xff]{10,}")


class UnreadableFile(Exception):
    """Not what its first bytes claim, or not readable within the limits; `str()` says why."""


def readable(text):
    """`text` with control characters turned into breaks between pieces, so that none joins digits."""
    return _BREAKS.sub(_APART, text)


def readable_in_binary(data):
    runs = _UTF8_RUN.findall(data.decode("utf-8", errors="replace"))
    for offset in (0, 1):
        runs += _UTF16_RUN.findall(data[offset:].decode("utf-16-le", errors="replace"))
    return _APART.join(runs)


def file_texts(content_type, data):
    """(where, text) for each part of the file a person could read; raises UnreadableFile."""
    if content_type == "text/plain":
        return [(TEXT, data.decode("utf-8", errors="replace"))]
    if content_type == "application/pdf":
        return pdf_texts(data)
    walker = {"image/png": _png, "image/jpeg": _jpeg, "image/gif": _gif}[content_type]
    metadata, end = walker(data)
    texts = [(METADATA, _APART.join(metadata))]
    if end < len(data):
        texts.append((AFTER_END, readable_in_binary(data[end:])))
    return texts


# --- PNG: signature, then chunks (length, type, data, CRC) from IHDR to IEND ------------------------------

_PNG_PIXELS = {b"IDAT", b"fdAT"}  # image data (fdAT: an animated PNG's frames)
_PNG_STRUCTURE = {b"IHDR", b"PLTE", b"IEND"}


def _png(data):
    """The PNG's text chunks and other metadata, and where its IEND chunk ends."""
    position, kinds, metadata, budget = 8, set(), [], _InflateBudget()
    while b"IEND" not in kinds:
        if position + 12 > len(data):
            raise UnreadableFile("incomplete")
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        crc = data[position + 8 + length : position + 12 + length]
        if len(crc) < 4 or not kind.isalpha() or zlib.crc32(kind + body) != int.from_bytes(crc, "big"):
            raise UnreadableFile("damaged")
        if not kinds and kind != b"IHDR":
            raise UnreadableFile("damaged")
        kinds.add(kind)
        position += 12 + length
        if kind not in _PNG_PIXELS | _PNG_STRUCTURE:
            metadata.append(_png_chunk_text(kind, body, budget))
    if b"IDAT" not in kinds:
        raise UnreadableFile("damaged")
    return metadata, position


def _png_chunk_text(kind, body, budget):
    keyword, _, rest = body.partition(b"\x00")
    if kind == b"tEXt":
        return readable(body.decode("latin-1"))
    if kind == b"zTXt":
        return readable(keyword.decode("latin-1") + _APART + budget.inflate(rest[1:]).decode("latin-1"))
    if kind == b"iTXt":
        compressed, language_and_keyword = rest[:1] == b"\x01", rest[2:]
        language, _, rest = language_and_keyword.partition(b"\x00")
        translated, _, text = rest.partition(b"\x00")
        if compressed:
            text = budget.inflate(text)
        parts = [keyword, language, translated, text]
        return readable(_APART.join(part.decode("utf-8", errors="replace") for part in parts))
    return readable_in_binary(body)  # eXIf and the like: EXIF, private chunks


class _InflateBudget:
    """How much of one file's compressed text may still be decompressed: a chunk of a few kilobytes can
    inflate to gigabytes."""

    def __init__(self):
        self.left = METADATA_MAX_CHARS

    def inflate(self, data):
        try:
            text = zlib.decompressobj().decompress(data, self.left + 1)
        except zlib.error:
            raise UnreadableFile("damaged") from None
        self.left -= len(text)
        if self.left < 0:
            raise UnreadableFile("too much metadata")
        return text


# --- JPEG: segments (marker, length, data) from SOI to EOI; entropy-coded data after each SOS -------------

_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and the restart markers carry no length
_JPEG_FRAMES = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # start of frame (not DHT, JPG, DAC)
_JPEG_METADATA = {*range(0xE0, 0xF0), 0xFE}  # APP0-APP15 (JFIF, EXIF, XMP, ICC, IPTC...) and COM


def _jpeg(data):
    """The JPEG's comments and application segments, and where its EOI marker ends."""
    position, markers, metadata = 2, set(), []
    while True:
        if position >= len(data) or data[position] != 0xFF:
            raise UnreadableFile("damaged")
        while position < len(data) and data[position] == 0xFF:  # fill bytes may precede a marker
            position += 1
        marker = data[position] if position < len(data) else None
        position += 1
        if marker == 0xD9:
            break
        if marker in _JPEG_STANDALONE:
            continue
        length = int.from_bytes(data[position : position + 2], "big")
        if marker in (None, 0x00, 0xD8) or length < 2 or position + length > len(data):
            raise UnreadableFile("damaged")
        markers.add(marker)
        if marker in _JPEG_METADATA:
            metadata.append(readable_in_binary(data[position + 2 : position + length]))
        position += length
        if marker == 0xDA:
            position = _jpeg_scan_end(data, position)
    if not markers & _JPEG_FRAMES or 0xDA not in markers:
        raise UnreadableFile("damaged")
    return metadata, position


def _jpeg_scan_end(data, position):
    """Where the compressed image data that follows an SOS segment ends: at the next marker other than a
    stuffed 0xFF00 or a restart marker."""
    while (position := data.find(b"\xff", position)) != -1 and position + 1 < len(data):
        following = data[position + 1]
        if following != 0x00 and not 0xD0 <= following <= 0xD7:
            return position
        position += 2
    raise UnreadableFile("incomplete")


# --- GIF: header, screen descriptor, then blocks (extensions, images) until the trailer ----------------

_GIF_TEXT_EXTENSIONS = {0xFE, 0x01, 0xFF}  # comment, plain text (drawn on the image), application (XMP)


def _gif(data):
    """The GIF's comments, plain-text and application extensions, and where its trailer ends."""
    if len(data) < 13:
        raise UnreadableFile("incomplete")
    position, metadata, images = 13 + _gif_colour_table(data[10]), [], 0
    while (block := data[position : position + 1]) != b";":
        if block == b"!":  # an extension: its label, then sub-blocks
            label = data[position + 1] if position + 1 < len(data) else None
            text, position = _gif_sub_blocks(data, position + 2)
            if label in _GIF_TEXT_EXTENSIONS:
                metadata.append(readable_in_binary(text))
        elif block == b",":  # an image: descriptor, colour table, LZW code size, then the pixels' sub-blocks
            if position + 10 > len(data):
                raise UnreadableFile("incomplete")
            position += 10 + _gif_colour_table(data[position + 9])
            _, position = _gif_sub_blocks(data, position + 1, keep=False)
            images += 1
        else:
            raise UnreadableFile("damaged")
    if not images:
        raise UnreadableFile("damaged")
    return metadata, position + 1


def _gif_colour_table(flags):
    return 3 * 2 ** ((flags & 0x07) + 1) if flags & 0x80 else 0


def _gif_sub_blocks(data, position, keep=True):
    """The joined sub-blocks that start at `position` (each a length byte, then data; 0 ends them)."""
    kept = []
    while True:
        if position >= len(data):
            raise UnreadableFile("incomplete")
        size = data[position]
        if size == 0:
            return b"".join(kept), position + 1
        if keep:
            kept.append(data[position + 1 : position + 1 + size])
        position += 1 + size


# --- PDF ----------------------------------------------------------------------------------------------


def pdf_texts(data):
    """The PDF's text, read by pypdf in a process of its own (pdf_worker.py) with a time and memory limit:
    an 8 KB file whose page repeats one drawing command 100,000 times took pypdf 8.7 seconds, and a process
    is the only way to stop that. It also keeps a crafted file's memory use out of the web process."""
    seconds = settings.ATTACHMENT_PDF_SECONDS
    command = [
        sys.executable, "-I", str(_PDF_WORKER),
        str(settings.ATTACHMENT_PDF_MAX_PAGES), str(seconds + 1), str(PDF_MEMORY_BYTES),
    ]  # fmt: skip
    try:
        # The worker is this project's own script, given no shell, no environment and only the file.
        done = subprocess.run(  # noqa: S603
            command, input=data, capture_output=True, timeout=seconds, env={}, check=False
        )
    except subprocess.TimeoutExpired:
        raise UnreadableFile("too slow") from None
    try:
        result = json.loads(done.stdout)
    except ValueError:  # killed at its memory or CPU limit
        raise UnreadableFile("unreadable") from None
    if "problem" in result:
        raise UnreadableFile(result["problem"])
    return [(where, readable(text)) for where, text in result["texts"]]
