"""NHS numbers in attached files: in the file's name, in a PDF's text and properties, in the text chunks,
comments and metadata of PNG, JPEG and GIF images, and after an image's end. A file whose first bytes
claim a type its body is not (a text file behind an image's or PDF's signature) is refused, since it
could not be checked. Each refusal names the file; nothing of the submission is kept."""

import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.attachments import check_upload
from incidents.models import Attachment, TimelineEvent
from tests.sample_files import (
    encrypted_pdf,
    exif,
    gif,
    gif_comment,
    gif_plain_text,
    jpeg,
    jpeg_comment,
    jpeg_segment,
    jpeg_xmp,
    pdf,
    pdf_with_file_inside,
    png,
    png_chunk,
    png_itxt,
    png_text,
    png_ztxt,
)

NUMBER = "943 476 5919"
PATIENT = f"Patient {NUMBER}"
LOG = b"2030-05-14 10:31:02 ERROR Print spooler stopped (0x80004005)\n"


def upload(name, content):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def refusal(name, content):
    with pytest.raises(ValidationError) as refused:
        check_upload(upload(name, content))
    return " ".join(refused.value.messages).replace("\xa0", " ")


# --- The file's name -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Scan 943 476 5919.log", NUMBER),
        ("943.476.5919.log", "943.476.5919"),
        ("patient_9434765919_notes.log", "9434765919"),
        ("9\u200b434\u200b765\u200b919 record.log", "9434765919"),
    ],
)
def test_an_nhs_number_in_the_file_name_is_refused(name, shown):
    message = refusal(name, LOG)

    assert f"contains “{shown}”, which looks like an NHS number" in message
    assert "rename the file" in message


def test_a_file_name_with_a_date_and_time_is_accepted():
    assert check_upload(upload("Screenshot 2026-12-07 at 10.15.30.png", png())).content_type == "image/png"


# --- Text inside images ------------------------------------------------------------------------------------

IMAGES_WITH_NUMBERS = [
    ("png tEXt", "shot.png", png(before=[png_text("Comment", PATIENT)]), "in its properties"),
    (
        "png tEXt after the pixels",
        "shot.png",
        png(after=[png_text("Description", PATIENT)]),
        "in its properties",
    ),
    ("png zTXt", "shot.png", png(after=[png_ztxt("Comment", PATIENT)]), "in its properties"),
    ("png iTXt", "shot.png", png(before=[png_itxt("Title", PATIENT)]), "in its properties"),
    (
        "png iTXt compressed",
        "shot.png",
        png(after=[png_itxt("Title", PATIENT, compressed=True)]),
        "in its properties",
    ),
    (
        "png eXIf",
        "shot.png",
        png(before=[png_chunk(b"eXIf", exif(description=PATIENT)[10:])]),
        "in its properties",
    ),
    (
        "png after IEND",
        "shot.png",
        png(trailing=PATIENT.encode()),
        "in data hidden after the end of the image",
    ),
    ("jpeg comment", "photo.jpg", jpeg(jpeg_comment(PATIENT)), "in its properties"),
    ("jpeg EXIF", "photo.jpg", jpeg(exif(description=PATIENT)), "in its properties"),
    ("jpeg Windows comment", "photo.jpg", jpeg(exif(windows_comment=PATIENT)), "in its properties"),
    ("jpeg XMP", "photo.jpg", jpeg(jpeg_xmp(PATIENT)), "in its properties"),
    (
        "jpeg after EOI",
        "photo.jpg",
        jpeg(trailing=PATIENT.encode()),
        "in data hidden after the end of the image",
    ),
    ("gif comment", "anim.gif", gif(before=[gif_comment(PATIENT)]), "in its properties"),
    (
        "gif comment after frames",
        "anim.gif",
        gif(after=[gif_comment(PATIENT)], frames=3),
        "in its properties",
    ),
    ("gif plain text", "anim.gif", gif(before=[gif_plain_text(PATIENT)]), "in its properties"),
    (
        "gif after trailer",
        "anim.gif",
        gif(trailing=PATIENT.encode()),
        "in data hidden after the end of the image",
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [case[1:] for case in IMAGES_WITH_NUMBERS],
    ids=[case[0] for case in IMAGES_WITH_NUMBERS],
)
def test_an_nhs_number_in_an_images_text_is_refused_saying_where(name, content, where):
    message = refusal(name, content)

    assert f"{name} contains “{NUMBER}” {where}" in message
    assert "which looks like an NHS number" in message


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "shot.png",
            png(
                before=[
                    png_text("Software", "Snipping Tool 10.2008.3001.0"),
                    png_text("Date", "2026-12-07 10:15:30"),
                ]
            ),
        ),
        (
            "photo.jpg",
            jpeg(exif(description="2026:12:07 10:15:30", windows_comment="Taken 07/12/2026 10:15")),
        ),
        ("photo.jpg", jpeg(jpeg_xmp("uuid:3f2504e0-4f89-11d3-9a0c-0305e82c3301 2026-12-07T10:15:30+00:00"))),
        ("anim.gif", gif(before=[gif_comment("Made 07/12/2026 at 10:15")], frames=2)),
    ],
)
def test_images_with_ordinary_metadata_are_accepted(name, content):
    assert check_upload(upload(name, content)).size == len(content)


# --- Text inside PDFs --------------------------------------------------------------------------------------


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("content", "where"),
    [
        (pdf(PATIENT), ""),
        (pdf("Printer queue", f"Page two: {PATIENT}"), ""),
        (pdf("Printer queue", annotation=PATIENT), ""),
        (pdf("Printer queue", info={"Title": PATIENT}), " in its properties"),
        (
            pdf("Printer queue", info={"Author": "Dr Example", "Subject": "943.476.5919"}),
            " in its properties",
        ),
    ],
    ids=["page text", "second page", "comment annotation", "title", "subject"],
)
def test_an_nhs_number_in_a_pdf_is_refused(content, where):
    message = refusal("report.pdf", content)

    assert "report.pdf contains “943" in message
    assert f"”{where}" in message
    assert "which looks like an NHS number" in message


@pytest.mark.subprocess
def test_a_pdf_without_one_is_accepted():
    content = pdf("Printer queue stopped at 10:15 on 07/12/2026", info={"Title": "Spooler report"})

    assert check_upload(upload("report.pdf", content)).content_type == "application/pdf"


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"%PDF-1.4\n" + PATIENT.encode() + b"\n", "cannot be read as a PDF"),
        (pdf()[:200], "cannot be read as a PDF"),
        (encrypted_pdf(PATIENT), "is protected by a password"),
        (pdf_with_file_inside("patients.csv", PATIENT.encode()), "has other files inside it"),
    ],
    ids=["text behind a pdf signature", "cut short", "password", "files inside"],
)
def test_a_pdf_that_cannot_be_checked_is_refused_saying_why(content, reason):
    message = refusal("report.pdf", content)

    assert f"report.pdf {reason}" in message
    assert "checked for patient data" in message


@pytest.mark.subprocess
def test_a_pdf_with_more_pages_than_the_limit_is_refused(settings):
    settings.ATTACHMENT_PDF_MAX_PAGES = 2

    message = refusal("report.pdf", pdf("one", "two", "three"))

    assert "report.pdf has more than 2 pages" in message


@pytest.mark.subprocess
def test_a_pdf_that_takes_too_long_to_read_is_refused(settings):
    settings.ATTACHMENT_PDF_SECONDS = 1
    # Small on disk, slow to read: one page that draws a line of text 100,000 times.
    slow = pdf(b"BT /F1 12 Tf 72 712 Td " + b"(Printer 12 queue) Tj 0 -1 Td " * 100_000 + b"ET")

    message = refusal("report.pdf", slow)

    assert "report.pdf took too long to read" in message


# --- Files whose body is not what their first bytes claim -----------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("notes.png", b"\x89PNG\r\n\x1a\n" + PATIENT.encode(), "a PNG image"),
        ("notes.jpg", b"\xff\xd8\xff" + PATIENT.encode(), "a JPEG image"),
        ("notes.gif", b"GIF89a\n" + PATIENT.encode(), "a GIF image"),
        ("notes.gif", b"GIF87a" + LOG * 20, "a GIF image"),
        ("cut.png", png()[:-12], "a PNG image"),
        ("bad-crc.png", png()[:-1] + b"\x00", "a PNG image"),
        (
            "no-pixels.png",
            b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", b"\x00" * 13) + png_chunk(b"IEND", b""),
            "a PNG image",
        ),
        ("cut.jpg", jpeg()[:-2], "a JPEG image"),
        ("no-frame.jpg", b"\xff\xd8" + jpeg_comment("hello") + b"\xff\xd9", "a JPEG image"),
        ("cut.gif", gif()[:-1], "a GIF image"),
    ],
)
def test_a_file_that_is_not_the_image_its_signature_claims_is_refused(name, content, kind):
    message = refusal(name, content)

    assert f"{name} begins like {kind} but is not a whole one" in message


def test_compressed_text_that_inflates_beyond_the_limit_is_refused():
    # 64 MB of text in a chunk of 64 KB: the request must not inflate it all.
    bomb = png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"0" * 64_000_000, 9))

    message = refusal("shot.png", png(before=[bomb]))

    assert "shot.png carries more hidden text than can be checked" in message


def test_restart_markers_and_fill_bytes_in_a_jpeg_are_walked_past():
    content = jpeg(jpeg_segment(0xDD, b"\x00\x01")).replace(b"\x3f\xff\xd9", b"\x3f\xff\xd0\x3f\xff\xff\xd9")

    assert check_upload(upload("photo.jpg", content)).content_type == "image/jpeg"


# --- Through the portal: all or nothing ----------------------------------------------------------------


def test_a_note_with_one_image_carrying_a_number_keeps_nothing(user_client, incident):
    files = [
        SimpleUploadedFile("fine.png", png(), content_type="image/png"),
        SimpleUploadedFile("ward.jpg", jpeg(jpeg_comment(PATIENT)), content_type="image/jpeg"),
    ]

    response = user_client.post(
        f"/incidents/{incident.reference}/notes/", {"text": "Screens", "files": files}
    )

    page = response.content.decode().replace("\xa0", " ")
    assert response.status_code == 400
    assert f"ward.jpg contains “{NUMBER}” in its properties" in page
    assert not Attachment.objects.exists()
    assert not incident.events.filter(
        kind__in=[TimelineEvent.Kind.NOTE, TimelineEvent.Kind.ATTACHMENT]
    ).exists()
