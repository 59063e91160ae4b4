"""Requests too large to be legitimate are refused before anything reads them, and nothing the portal
sends may be kept by a shared PC's browser (servicedesk.lib.middleware)."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from incidents.models import Attachment, TimelineEvent
from tests.incidents.test_attachment_checks import PNG

HUNDREDS_OF_MEGABYTES = 300 * 1024 * 1024


class UnreadableBody:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the request body was read")

    readline = read


def post_declaring(client, path, length, **extra):
    return client.generic(
        "POST",
        path,
        content_type=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": UnreadableBody()},
        **extra,
    )


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/register/", "/admin/login/", "/incidents/new/"]
)
def test_an_anonymous_body_of_hundreds_of_megabytes_is_refused_unread(client, db, path):
    response = post_declaring(client, path, HUNDREDS_OF_MEGABYTES)

    assert response.status_code == 413
    assert "can be sent" in response.text


def test_a_signed_in_body_past_the_largest_submission_is_refused_unread(user_client, incident):
    response = post_declaring(
        user_client, f"/incidents/{incident.reference}/notes/", settings.REQUEST_MAX_BYTES + 1
    )

    assert response.status_code == 413
    assert "Attach fewer or smaller files" in response.text
    assert not TimelineEvent.objects.filter(incident=incident, kind=TimelineEvent.Kind.NOTE).exists()


def test_the_largest_legitimate_note_fits_under_the_limit():
    """A note of the longest text with the most files of the largest size, as a browser would send it."""
    files = [
        SimpleUploadedFile(f"screenshot-{n}.png", b"\0" * settings.ATTACHMENT_MAX_BYTES)
        for n in range(settings.ATTACHMENT_MAX_PER_NOTE)
    ]
    body = encode_multipart(BOUNDARY, {"csrfmiddlewaretoken": "x" * 64, "text": "é" * 10_000, "files": files})

    assert len(body) <= settings.REQUEST_MAX_BYTES


def test_a_note_with_files_under_the_limit_is_taken(user_client, incident, settings):
    settings.REQUEST_MAX_BYTES = 64 * 1024
    files = [SimpleUploadedFile(f"shot-{n}.png", PNG, content_type="image/png") for n in range(2)]

    response = user_client.post(
        f"/incidents/{incident.reference}/notes/", {"text": "Two shots", "files": files}
    )

    assert response.status_code == 302
    assert Attachment.objects.filter(incident=incident).count() == 2


def test_a_body_of_undeclared_length_is_refused(client, db):
    response = client.generic(
        "POST", "/accounts/login/", HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": UnreadableBody()}
    )

    assert response.status_code == 411


def test_a_declared_length_that_is_not_a_number_is_a_bad_request(client, db):
    response = client.generic(
        "POST", "/accounts/login/", CONTENT_LENGTH="lots", **{"wsgi.input": UnreadableBody()}
    )

    assert response.status_code == 400


def test_the_practices_list_new_incident_page_and_files_are_not_kept_by_the_browser(user_client, incident):
    for path in ["/incidents/", "/incidents/new/", f"/incidents/{incident.reference}/"]:
        response = user_client.get(path)
        assert response.status_code == 200
        assert {"no-store", "private"} <= set(response["Cache-Control"].replace(" ", "").split(","))


def test_static_files_keep_their_long_caching(client, db):
    from django.templatetags.static import static

    response = client.get(static("css/portal.css"))
    response.close()

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
