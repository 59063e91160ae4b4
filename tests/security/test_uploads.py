"""Hostile uploads.

The flaws guarded against: a file that a browser would run as a web page when it is opened from the
portal (HTML, SVG with a script, or a PNG that is also a web page, if served inline or with a sniffable
type); a file name that writes outside MEDIA_ROOT (`../../etc/passwd`, `..\\..\\x`), smuggles control
characters or newlines into the file system or a response header, or is long enough to break storage;
oversize files and too many files; and stored files reachable without the practice check, directly
under /media/ or /static/ or through another practice's incident.

Files are sent through the portal's two upload forms, the note form and the log form. Names are sent
byte for byte in a hand-built multipart body, since Django's test client would strip folders first.
Each upload is either refused with a message naming the file (400, nothing saved, no file written) or
stored under MEDIA_ROOT/attachments/<incident>/ with a generated name and served only as a download
whose type comes from the bytes. The checks of file contents themselves are in
tests/incidents/test_attachment_checks.py.
"""

import re
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from incidents.models import Attachment, Incident, TimelineEvent
from tests.conftest import login
from tests.security.payloads import (
    HTML_PAGE,
    LOG,
    PNG,
    PNG_HTML_POLYGLOT,
    SVG_WITH_SCRIPT,
    files_under,
    log_form_data,
    multipart,
)

FORMS = ["note form", "log form"]
STORED_NAME = re.compile(r"attachments/(\d+)/[0-9a-f]{32}")


@pytest.fixture
def send(user_client, incident, practice, product):
    """send(form, files) posts files through the note form of `incident` or the log form of a new
    incident; `files` are SimpleUploadedFiles, or (raw name bytes, content) pairs sent byte for byte."""

    def do(form, files):
        if form == "note form":
            url, fields = f"/incidents/{incident.reference}/notes/", {"text": "The screen as it was."}
        else:
            url, fields = "/incidents/new/", log_form_data(practice, product)
        if all(isinstance(f, SimpleUploadedFile) for f in files):
            return user_client.post(url, {**fields, "files": files})
        body, content_type = multipart(fields, [("files", name, content) for name, content in files])
        return user_client.post(url, body, content_type=content_type)

    return do


def saved_by(form, incident):
    """What the submission saved: the note's event, or the newly logged incident."""
    if form == "note form":
        return incident.events.filter(kind__in=[TimelineEvent.Kind.NOTE, TimelineEvent.Kind.ATTACHMENT])
    return Incident.objects.exclude(pk=incident.pk)


def download(client, attachment):
    response = client.get(attachment.get_absolute_url())
    body = b"".join(response.streaming_content) if response.status_code == 200 else response.content
    response.close()
    return response, body


def assert_refused(response, form, incident, tmp_path, *phrases):
    assert response.status_code == 400
    page = response.content.decode().replace("\xa0", " ")
    for phrase in phrases:
        assert phrase in page
    assert not saved_by(form, incident).exists()
    assert not Attachment.objects.exists()
    assert files_under(tmp_path) == []  # nothing written, in MEDIA_ROOT or beside it


def assert_stored_safely(attachment, tmp_path):
    """Stored under MEDIA_ROOT/attachments/<incident>/ with a generated name; nothing else written."""
    assert STORED_NAME.fullmatch(attachment.file.name)
    assert attachment.file.name.startswith(f"attachments/{attachment.incident_id}/")
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve() / "attachments")
    assert files_under(tmp_path) == [f"media/{attachment.file.name}"]


def assert_served_as_a_download(response, content_type, filename):
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


# --- Files a browser would run ------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_a_png_that_is_also_a_web_page_is_kept_only_as_a_png_download(
    send, form, user_client, incident, tmp_path
):
    polyglot = SimpleUploadedFile("report.html", PNG_HTML_POLYGLOT, content_type="text/html")

    response = send(form, [polyglot])

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.content_type, attachment.original_name) == ("image/png", "report.html")
    assert_stored_safely(attachment, tmp_path)
    served, body = download(user_client, attachment)
    assert_served_as_a_download(served, "image/png", "report.png")
    assert body == PNG_HTML_POLYGLOT


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("drawing.svg", SVG_WITH_SCRIPT),
        ("drawing.png", SVG_WITH_SCRIPT),
        ("error.png", HTML_PAGE),
        ("error.txt", HTML_PAGE),
        ("error.log", LOG * 300 + HTML_PAGE),  # the page after 18 KB of an ordinary log
    ],
    ids=["svg", "svg-named-png", "html-named-png", "html-named-txt", "html-deep-in-a-log"],
)
def test_web_pages_and_svg_are_refused_whatever_they_are_called(
    send, form, incident, tmp_path, name, content
):
    response = send(form, [SimpleUploadedFile(name, content, content_type="image/png")])

    assert_refused(response, form, incident, tmp_path, f"{name} is not a file we accept")


@pytest.mark.parametrize("form", FORMS)
def test_a_file_over_the_size_limit_is_refused_with_the_limit(send, form, incident, tmp_path, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 2048, content_type="image/png")

    response = send(form, [big])

    assert_refused(response, form, incident, tmp_path, "big.png is", "files can be at most 1.0 KB")


@pytest.mark.parametrize("form", FORMS)
def test_more_files_than_the_limit_are_all_refused(send, form, incident, tmp_path, settings):
    settings.ATTACHMENT_MAX_PER_NOTE = 2
    files = [SimpleUploadedFile(f"shot{n}.png", PNG, content_type="image/png") for n in range(3)]

    response = send(form, files)

    assert_refused(response, form, incident, tmp_path, "Attach at most 2 files at a time.")


@pytest.mark.parametrize("form", FORMS)
def test_one_bad_file_refuses_the_submission_and_only_the_good_one_is_held(send, form, incident, tmp_path):
    files = [
        SimpleUploadedFile("fine.png", PNG, content_type="image/png"),
        SimpleUploadedFile("logo.svg", SVG_WITH_SCRIPT, content_type="image/svg+xml"),
    ]

    response = send(form, files)

    assert response.status_code == 400
    assert "logo.svg is not a file we accept" in response.content.decode()
    assert not saved_by(form, incident).exists()
    assert not Attachment.objects.exists()
    # The good file is held for the corrected form (incidents/held_uploads.py), never the refused one.
    written = files_under(tmp_path)
    assert len(written) == 2 and all(name.startswith("media/held/") for name in written)
    held = next(name for name in written if not name.endswith(".json"))
    assert (tmp_path / held).read_bytes() == PNG


# --- Hostile file names ----------------------------------------------------------------------------

# (name as sent, name shown and kept, name the download is given)
HOSTILE_NAMES = [
    (b"../../etc/passwd", "passwd", "passwd.txt"),
    (b"..\\..\\x", "x", "x.txt"),
    (b"/etc/cron.d/evil", "evil", "evil.txt"),
    (b"....//....//etc", "etc", "etc.txt"),
    (b"&#47;etc&#47;passwd", "passwd", "passwd.txt"),  # the parser unescapes HTML entities first
    (b"*UTF-8''..%2F..%2Fetc%2Fpasswd", "passwd", "passwd.txt"),  # RFC 2231 encoded
    (b"scr\x00een.log", "screen.log", "screen.log"),
    (b"a\nb.log", "ab.log", "ab.log"),
    (b"*UTF-8''a%0D%0AX-Injected%3A%20yes.log", "aX-Injected: yes.log", "aX-Injected: yes.log"),
    (b"\x1b[31mred.log", "[31mred.log", "[31mred.log"),
    ("invoice\u202egol.exe".encode(), "invoicegol.exe", "invoicegol.txt"),  # right-to-left override
    (b"x" * 300 + b".log", "x" * 150, "x" * 150 + ".txt"),
]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(("sent", "kept", "downloaded"), HOSTILE_NAMES, ids=lambda v: repr(v)[:30])
def test_a_hostile_file_name_never_reaches_the_file_system_or_a_header(
    send, form, user_client, tmp_path, sent, kept, downloaded
):
    response = send(form, [(sent, LOG)])

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.original_name == kept
    assert not any(unicodedata.category(ch)[0] == "C" for ch in attachment.original_name)
    assert_stored_safely(attachment, tmp_path)
    served, body = download(user_client, attachment)
    assert_served_as_a_download(served, "text/plain", downloaded)
    assert body == LOG


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    "sent", [b"..", b".", b"a/..", b""], ids=["dotdot", "dot", "ends-in-dotdot", "empty"]
)
def test_a_file_whose_name_is_only_a_folder_is_dropped_and_nothing_is_written(send, form, tmp_path, sent):
    response = send(form, [(sent, LOG)])

    assert response.status_code == 302  # the rest of the submission is saved, without the file
    assert not Attachment.objects.exists()
    assert files_under(tmp_path) == []


@pytest.mark.parametrize("where", ["note form", "login page, signed out"])
def test_a_large_file_with_a_very_long_extension_is_not_a_server_error(
    client, practice_user, incident, where
):
    client.raise_request_exception = False
    big = PNG + b"\x00" * (settings.FILE_UPLOAD_MAX_MEMORY_SIZE + 1024)
    if where == "note form":
        login(client, practice_user)
        url = f"/incidents/{incident.reference}/notes/"
    else:
        url = "/accounts/login/"
    body, content_type = multipart({"text": "Screenshot"}, [("files", b"screen." + b"x" * 300, big)])

    response = client.post(url, body, content_type=content_type)

    assert response.status_code < 500


# --- Where stored files can be reached -----------------------------------------------------------------


@pytest.fixture
def stored(incident, practice_user):
    """A screenshot stored on the practice's incident through the note form."""
    response = login(Client(), practice_user).post(
        f"/incidents/{incident.reference}/notes/",
        {"text": "Screenshot", "files": [SimpleUploadedFile("screen.png", PNG, content_type="image/png")]},
    )
    assert response.status_code == 302
    return Attachment.objects.get()


@pytest.mark.parametrize("who", ["signed out", "practice user", "agent"])
@pytest.mark.parametrize(
    "path",
    ["/media/{name}", "/{name}", "/static/{name}", "/static/../media/{name}", "/media/attachments/"],
)
def test_stored_files_are_never_served_directly(client, stored, practice_user, agent, who, path):
    if who != "signed out":
        login(client, practice_user if who == "practice user" else agent)

    response = client.get(path.format(name=stored.file.name))

    assert response.status_code == 404
    assert PNG not in response.content


def test_uploads_are_stored_outside_the_static_files():
    media = Path(settings.MEDIA_ROOT).resolve()
    for static in [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]:
        assert not media.is_relative_to(static.resolve())
        assert not static.resolve().is_relative_to(media)


def test_another_practices_file_is_not_found_by_any_path(client, stored, outsider, other_incident):
    login(client, outsider)

    for path in [
        stored.get_absolute_url(),
        f"/incidents/{other_incident.reference}/attachments/{stored.pk}/",
        f"/admin/incidents/incident/{stored.incident_id}/attachment/{stored.pk}/",
    ]:
        response = client.get(path)
        assert response.status_code in (302, 404), path
        assert response.status_code == 404 or response["Location"].startswith("/admin/login/"), path
        assert PNG not in response.content
