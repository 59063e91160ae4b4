"""Small real files built byte by byte, with text wherever a format can carry it, for the upload tests.

Each builder makes a complete file of its format (a 1x1 image, a one-page PDF) and takes the extra parts
to put in it: PNG chunks before or after the image data, JPEG segments, GIF extensions before or after a
frame, PDF pages, properties and annotations, and bytes after the end marker.
"""

import io
import struct
import zlib

import pypdf


def pixels(data):
    """The decoded pixels of an image file, as (size, RGB bytes): what a person sees of it."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
        return rgb.size, rgb.tobytes()


# --- PNG ----------------------------------------------------------------------------------------------


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_text(keyword, text):
    return png_chunk(b"tEXt", keyword.encode("latin-1") + b"\x00" + text.encode("latin-1"))


def png_ztxt(keyword, text):
    return png_chunk(b"zTXt", keyword.encode("latin-1") + b"\x00\x00" + zlib.compress(text.encode("latin-1")))


def png_itxt(keyword, text, compressed=False):
    body = text.encode("utf-8")
    if compressed:
        body = zlib.compress(body)
    header = keyword.encode("latin-1") + b"\x00" + (b"\x01\x00" if compressed else b"\x00\x00")
    return png_chunk(b"iTXt", header + b"en-GB\x00" + keyword.encode("utf-8") + b"\x00" + body)


def png(before=(), after=(), trailing=b""):
    """A 1x1 RGB PNG with `before` chunks ahead of its image data and `after` chunks behind it."""
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + b"".join(before)
        + png_chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + b"".join(after)
        + png_chunk(b"IEND", b"")
        + trailing
    )


# --- JPEG ---------------------------------------------------------------------------------------------


def jpeg_segment(marker, body):
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def jpeg_comment(text):
    return jpeg_segment(0xFE, text.encode("utf-8"))


def jpeg_xmp(description):
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description><dc:description>'
        f"{description}</dc:description></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    return jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet.encode("utf-8"))


def exif(description="", windows_comment=""):
    """An EXIF APP1 segment with an ImageDescription (ASCII) and a Windows XPComment (UTF-16)."""
    entries, values = [], b""
    tags = [
        (0x010E, 2, description.encode("ascii") + b"\x00"),
        (0x9C9C, 1, windows_comment.encode("utf-16-le")),
    ]
    tags = [(tag, kind, value) for tag, kind, value in tags if len(value) > 1]
    values_at = 8 + 2 + 12 * len(tags) + 4
    for tag, kind, value in tags:
        entries.append(struct.pack("<HHII", tag, kind, len(value), values_at + len(values)))
        values += value
    tiff = b"II*\x00" + struct.pack("<IH", 8, len(tags)) + b"".join(entries) + b"\x00\x00\x00\x00" + values
    return jpeg_segment(0xE1, b"Exif\x00\x00" + tiff)


def jpeg(*segments, trailing=b""):
    """A 1x1 grey baseline JPEG, with `segments` (comments, EXIF, XMP...) after its JFIF header."""
    one_code = bytes([1] + [0] * 15)  # a Huffman table of a single one-bit code
    return (
        b"\xff\xd8"
        + jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + b"".join(segments)
        + jpeg_segment(0xDB, b"\x00" + bytes([1] * 64))
        + jpeg_segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00")
        + jpeg_segment(0xC4, b"\x00" + one_code + b"\x00")
        + jpeg_segment(0xC4, b"\x10" + one_code + b"\x00")
        + jpeg_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + b"\x3f"  # DC difference 0, then end of block, padded with ones
        + b"\xff\xd9"
        + trailing
    )


# --- GIF ----------------------------------------------------------------------------------------------


def _sub_blocks(data):
    return (
        b"".join(bytes([len(data[i : i + 255])]) + data[i : i + 255] for i in range(0, len(data), 255))
        + b"\x00"
    )


def gif_comment(text):
    return b"!\xfe" + _sub_blocks(text.encode("ascii"))


def gif_plain_text(text):
    """A plain-text extension: text a viewer draws over the image."""
    return (
        b"!\x01\x0c" + b"\x00" * 4 + b"\x01\x00\x01\x00\x08\x08\x01\x00" + _sub_blocks(text.encode("ascii"))
    )


_GIF_FRAME = b"!\xf9\x04\x01\x00\x00\x00\x00" + b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00"


def gif(before=(), after=(), frames=1, trailing=b""):
    """A 1x1 GIF of `frames` frames, `before` extensions ahead of the first and `after` behind the last."""
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
        + b"".join(before)
        + _GIF_FRAME * frames
        + b"".join(after)
        + b";"
        + trailing
    )


# --- PDF ----------------------------------------------------------------------------------------------


def _pdf_string(text):
    return (
        b"("
        + text.encode("latin-1").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        + b")"
    )


def _pdf_objects(pages, info, annotation):
    count = len(pages)
    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    note = b""
    if annotation:
        note = b" /Annots [<< /Type /Annot /Subtype /Text /Rect [0 0 20 20] /Contents " + _pdf_string(
            annotation
        )
        note += b" >>]"
    for text in pages:
        content = (
            text if isinstance(text, bytes) else b"BT /F1 12 Tf 72 712 Td " + _pdf_string(text) + b" Tj ET"
        )
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R" % (len(objects) + 2)
            + b" /Resources << /Font << /F1 3 0 R >> >>"
            + note
            + b" >>"
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    if info:
        entries = b" ".join(b"/" + key.encode() + b" " + _pdf_string(value) for key, value in info.items())
        objects.append(b"<< " + entries + b" >>")
    return objects


def pdf(*pages, info=None, annotation="", trailing=b""):
    """A PDF with one page per text in `pages` (or raw content-stream bytes), properties from `info`
    (e.g. {"Title": ...}) and, if given, a comment annotation on each page."""
    objects = _pdf_objects(pages or ("Printer queue report",), info, annotation)
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    info_entry = b" /Info %d 0 R" % len(objects) if info else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        info_entry,
        xref,
    )
    return bytes(out) + trailing


def encrypted_pdf(text):
    """A PDF that opens only with a password."""
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf(text))))
    writer.encrypt(user_password="opens-with-a-password", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_file_inside(name, content):
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf())))
    writer.add_attachment(name, content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
