"""The Help menu's portal guide: readable before signing in, and every picture it shows is committed."""

import re

from django.contrib.staticfiles import finders

from tests.conftest import login
from tests.incidents.helpers import BANNER_QUERY


def test_anyone_can_read_the_guide_with_the_standard_severities(client, db):
    page = client.get("/help/").content.decode()

    assert "<h1>Using the portal</h1>" in page
    assert "1 – System unavailable" in page and "General queries." in page
    assert "telephone the Primary Care Service Desk on" in page
    assert "/help/your-service/" not in page, "Your service needs a practice: only after signing in"


def test_signed_in_the_guide_links_to_your_service(client, practice_user):
    page = login(client, practice_user).get("/help/").content.decode()

    assert 'href="/help/your-service/"' in page


def test_the_guides_pictures_and_video_are_committed_in_static_guide(client, db):
    """`make guide` takes them; a page that named a missing file would not render at all."""
    page = client.get("/help/").content.decode()
    # The names carry the manifest storage's hash: guide/resolved.0123456789ab.png.
    hashed = re.findall(r'"/static/guide/([\w-]+)\.\w{12}\.(\w+)"', page)
    used = {f"guide/{name}.{kind}" for name, kind in hashed}

    assert {"guide/tutorial.webm", "guide/incident-list.png", "guide/resolved.png"} <= used
    assert all(finders.find(name) for name in used)


def test_the_guide_reads_no_more_than_the_users_contract(client, practice_user, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/help/").status_code == 200
    login(client, practice_user)
    # the signed-in user (with their practice), the contract and its severity wording, and which known issues
    # are severe enough for a banner (read once into the emptied cache: tests/incidents/helpers.py)
    with django_assert_num_queries(3 + BANNER_QUERY):
        assert client.get("/help/").status_code == 200
