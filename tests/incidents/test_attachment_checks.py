"""Screenshots and logs: the type comes from the bytes, not the name; size, count and NHS-number limits;
generated names on disk (issue 3, item 4)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.attachments import check_upload, check_uploads, safe_name
from incidents.models import Attachment, TimelineEvent
from incidents.services import incident_add_note
from tests.sample_files import gif, jpeg, pdf, png

# A real 1×1 PNG, GIF and JPEG, and a one-page PDF.
PNG = png()
GIF = gif()
JPEG = jpeg()
PDF = pdf()
LOG = b"2030-05-14 10:31:02 ERROR Print spooler stopped (0x80004005)\n2030-05-14 10:31:05 INFO Retrying\n"
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"This program cannot be run"
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'
SVG_WITH_PROLOG = b'<?xml version="1.0" encoding="UTF-8"?>\n' + SVG
SVG_AFTER_COMMENT = b"<!-- Generator: Adobe Illustrator 27.0 -->\n" + SVG
SVG_WITH_BOM = b"\xef\xbb\xbf" + SVG
HTML = b"<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>"
HTML_AFTER_COMMENT = b"<!-- saved from url=(0014)about:internet -->\n<html><script>alert(1)</script></html>"
HTML_WITH_BOM = b"\xef\xbb\xbf" + HTML


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def refusal(file):
    with pytest.raises(ValidationError) as refused:
        check_upload(file)
    return " ".join(refused.value.messages).replace("\xa0", " ")


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("screenshot.png", PNG, "image/png"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("spinner.gif", GIF, "image/gif"),
        pytest.param("report.pdf", PDF, "application/pdf", marks=pytest.mark.subprocess),  # the PDF reader
        ("spooler.log", LOG, "text/plain"),
        ("notes.txt", "Café: the printer says “offline” again.\n".encode(), "text/plain"),
    ],
    ids=["png", "jpeg", "gif", "pdf", "log", "utf8-text"],
)
def test_harmless_files_are_accepted_with_the_type_their_bytes_show(name, content, content_type):
    checked = check_upload(upload(name, content))

    assert (checked.name, checked.content_type, checked.size) == (name, content_type, len(content))


def test_type_comes_from_the_bytes_not_the_name_or_the_browser():
    checked = check_upload(upload("screenshot.txt", PNG, content_type="text/html"))

    assert checked.content_type == "image/png"


def test_a_program_renamed_png_is_refused_naming_the_file():
    message = refusal(upload("screenshot.png", EXE, content_type="image/png"))

    assert "screenshot.png is not a file we accept" in message
    assert "PNG, JPEG or GIF" in message


@pytest.mark.parametrize("name", ["logo.svg", "logo.png", "logo.txt"])
def test_an_svg_is_refused_whatever_its_name(name):
    message = refusal(upload(name, SVG, content_type="image/png"))

    assert f"{name} is not a file we accept" in message


@pytest.mark.parametrize(
    "content",
    [SVG_WITH_PROLOG, SVG_AFTER_COMMENT, SVG_WITH_BOM],
    ids=["xml-prolog", "after-comment", "utf8-bom"],
)
def test_an_svg_is_refused_however_it_begins(content):
    message = refusal(upload("logo.txt", content, content_type="text/plain"))

    assert "logo.txt is not a file we accept" in message


@pytest.mark.parametrize(
    "content",
    [HTML, b"  \n<HTML><body>hi</body></html>", HTML_AFTER_COMMENT, HTML_WITH_BOM],
    ids=["doctype", "leading-space", "after-comment", "utf8-bom"],
)
def test_a_web_page_named_txt_is_refused(content):
    message = refusal(upload("error.txt", content, content_type="text/plain"))

    assert "error.txt is not a file we accept" in message


def test_a_png_html_polyglot_is_only_ever_treated_as_a_png():
    polyglot = PNG + b"<html><script>alert(document.cookie)</script></html>"

    checked = check_upload(upload("page.html", polyglot, content_type="text/html"))

    assert checked.content_type == "image/png"


def test_an_oversize_file_is_refused_naming_its_size(settings):
    settings.ATTACHMENT_MAX_BYTES = 1024

    message = refusal(upload("big.png", PNG + b"\x00" * 2000))

    assert "big.png is 2.0 KB" in message
    assert "at most 1.0 KB" in message


def test_a_file_exactly_at_the_limit_is_accepted(settings):
    settings.ATTACHMENT_MAX_BYTES = len(PNG)

    assert check_upload(upload("exact.png", PNG)).size == len(PNG)


def test_an_empty_file_is_refused():
    assert "nothing.txt is empty" in refusal(upload("nothing.txt", b""))


def test_a_log_containing_an_nhs_number_is_refused_quoting_it():
    log = LOG + b"2030-05-14 10:32:00 WARN Patient 943 476 5919 record locked\n"

    message = refusal(upload("spooler.log", log))

    assert "spooler.log" in message
    assert "943 476 5919" in message
    assert "NHS number" in message


def test_a_log_with_a_ten_digit_number_that_fails_the_check_digit_is_accepted():
    checked = check_upload(upload("spooler.log", LOG + b"Order 943 476 5918 queued\n"))

    assert checked.content_type == "text/plain"


def test_one_file_too_many_is_refused(settings):
    files = [upload(f"shot{n}.png", PNG) for n in range(settings.ATTACHMENT_MAX_PER_NOTE + 1)]

    with pytest.raises(ValidationError) as refused:
        check_uploads(files)

    assert refused.value.messages == [f"Attach at most {settings.ATTACHMENT_MAX_PER_NOTE} files at a time."]


def test_the_maximum_number_of_files_is_accepted(settings):
    files = [upload(f"shot{n}.png", PNG) for n in range(settings.ATTACHMENT_MAX_PER_NOTE)]

    assert len(check_uploads(files)) == settings.ATTACHMENT_MAX_PER_NOTE


def test_one_bad_file_refuses_the_whole_submission_naming_each_bad_file():
    files = [upload("ok.png", PNG), upload("virus.png", EXE), upload("logo.txt", SVG)]

    with pytest.raises(ValidationError) as refused:
        check_uploads(files)

    messages = refused.value.messages
    assert len(messages) == 2
    assert messages[0].startswith("virus.png ")
    assert messages[1].startswith("logo.txt ")


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\System32\\screen.png", "screen.png"),
        ("C:\\Users\\alex\\Desktop\\error log.txt", "error log.txt"),
        ("/home/alex/shot.png", "shot.png"),
        ("scr\x00een\r\n\x1b[31m.png", "screen[31m.png"),
        ("invoice\u202egnp.exe", "invoicegnp.exe"),
        ("..", "attachment"),
        ("", "attachment"),
        ("x" * 300 + ".png", "x" * 150),
    ],
    ids=[
        "dotdot-slash",
        "dotdot-backslash",
        "windows-path",
        "absolute",
        "control",
        "rtl-override",
        "only-dots",
        "empty",
        "too-long",
    ],
)
def test_safe_name_keeps_only_the_files_own_printable_name(given, shown):
    assert safe_name(given) == shown


def test_a_note_stores_its_file_under_media_root_with_a_generated_name(incident, practice_user):
    checked = check_upload(upload("../../Printer error 14 May.png", PNG))

    event = incident_add_note(incident, actor=practice_user, text="Screenshot attached.", uploads=[checked])

    attachment = Attachment.objects.get(event=event)
    stored = Path(attachment.file.path).resolve()
    media_root = Path(settings.MEDIA_ROOT).resolve()
    assert stored.is_relative_to(media_root / "attachments" / str(incident.pk))
    assert stored.read_bytes() == PNG
    assert "Printer" not in attachment.file.name and ".." not in attachment.file.name
    assert attachment.original_name == "Printer error 14 May.png"
    assert (attachment.content_type, attachment.size) == ("image/png", len(PNG))
    assert (attachment.incident, attachment.uploaded_by) == (incident, practice_user)


def test_a_note_of_only_files_is_an_attachment_entry(incident, practice_user):
    checked = check_uploads([upload("a.png", PNG), upload("b.log", LOG)])

    event = incident_add_note(incident, actor=practice_user, text="", uploads=checked)

    assert event.kind == TimelineEvent.Kind.ATTACHMENT
    names = sorted(event.attachments.values_list("original_name", flat=True))
    assert names == ["a.png", "b.log"]
    stored = [Path(a.file.path) for a in event.attachments.all()]
    assert len(set(stored)) == 2
    assert all(path.exists() for path in stored)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("invoice.bat", GIF, "invoice.gif"),
        ("page.html", png(trailing=b"<script>alert(1)</script>"), "page.png"),
        ("notes.csv", b"=cmd|' /C calc'!A0\n", "notes.txt"),
        ("spooler.log", b"Spooler error\n", "spooler.log"),
        pytest.param("report", PDF, "report.pdf", marks=pytest.mark.subprocess),  # the PDF reader
    ],
)
def test_a_download_always_carries_the_extension_of_its_real_type(
    incident, practice_user, name, content, expected
):
    from incidents.attachments import attachment_response
    from incidents.services import incident_add_note

    event = incident_add_note(
        incident, actor=practice_user, text="", uploads=[check_upload(upload(name, content))]
    )
    response = attachment_response(event.attachments.get())
    response.close()

    assert response["Content-Disposition"] == f'attachment; filename="{expected}"'


def test_markup_far_into_a_log_is_still_refused():
    content = b"line of an ordinary log\n" * 400 + b"<html><script>alert(1)</script></html>"

    assert "is not a file we accept" in refusal(upload("long.log", content))
