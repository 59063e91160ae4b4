"""The landing page for visitors, the signed-out page and the favicon (issue 16)."""

import re

from django.contrib.staticfiles import finders


def test_a_visitor_reads_what_the_portal_is_for_when_to_telephone_and_how_to_get_in(client, db, settings):
    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Report and follow your practice's incidents" in html
    assert "severity 1" in html
    assert f'href="tel:{settings.SERVICE_DESK["phone"].replace(" ", "")}"' in html
    assert 'href="/accounts/register/">Request an account</a>' in html
    assert 'href="/accounts/login/">Sign in</a>' in html


def test_signed_in_people_skip_the_landing_page(client, practice_user):
    client.force_login(practice_user)

    assert client.get("/").url == "/incidents/"


def test_signing_out_says_so(client, practice_user):
    client.force_login(practice_user)

    response = client.post("/accounts/logout/", follow=True)

    assert response.redirect_chain == [("/accounts/signed-out/", 302)]
    assert '<h1 class="h2 mb-0">You have signed out</h1>' in response.content.decode()
    assert client.get("/incidents/").status_code == 302  # and the session is gone


def test_the_signed_out_page_sends_someone_signed_in_home(client, practice_user):
    client.force_login(practice_user)

    assert client.get("/accounts/signed-out/").url == "/"


def test_every_page_names_the_favicon_which_is_a_committed_svg(client, db):
    html = client.get("/").content.decode()

    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html).group(1)
    assert href.startswith("/static/favicon")
    with open(finders.find("favicon.svg"), encoding="utf-8") as svg:
        assert svg.read().startswith("<svg")
