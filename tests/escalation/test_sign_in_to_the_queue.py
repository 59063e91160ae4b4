"""Team leaders sign in to their queue (issue 17, "Team leaders"): staff who are contacts of a ladder level
land on /escalations/ after signing in, through the portal's form or admin's, after the second factor too;
a `next` of their own still wins; agents off the ladder land in admin as before. Admin and the portal's
header link to the queue for the ladder's staff only."""

import re

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalation.models import EscalationLevel
from tests.factories import PASSWORD

PORTAL_SIGN_IN = "/accounts/login/"
ADMIN_SIGN_IN = "/admin/login/"
DEEP_ADMIN_PAGE = "/admin/incidents/incident/"
QUEUE_LINK = 'href="/escalations/"'


@pytest.fixture
def leader(team_leader, standard_ladder):
    EscalationLevel.objects.get(position=1).contacts.add(team_leader)
    return team_leader


def landing(response):
    """Where a person ends after following every redirect (the page must open)."""
    assert response.status_code == 200, response.redirect_chain
    return response.redirect_chain[-1][0]


def portal_sign_in(client, user, next_url=None):
    query = f"?next={next_url}" if next_url else ""
    form = client.get(PORTAL_SIGN_IN + query)
    assert form.status_code == 200
    fields = {"username": user.email, "password": PASSWORD, **({"next": next_url} if next_url else {})}
    return client.post(PORTAL_SIGN_IN + query, fields, follow=True)


def admin_sign_in(client, user, opened="/admin/"):
    """Open an admin address signed out, and sign in on the form admin shows, as a browser would: with the
    `next` that form carries."""
    form = client.get(opened, follow=True)
    address = form.redirect_chain[-1][0] if form.redirect_chain else opened
    assert address.startswith(ADMIN_SIGN_IN)
    carried = re.search(r'name="next" value="([^"]*)"', form.content.decode()).group(1)
    fields = {"username": user.email, "password": PASSWORD, "next": carried}
    return client.post(address, fields, follow=True)


def test_a_team_leader_signing_in_on_the_portal_lands_on_their_queue(client, leader):
    response = portal_sign_in(client, leader)

    assert landing(response) == "/escalations/"
    assert "<h1>Escalations</h1>" in response.content.decode()


def test_an_agent_signing_in_on_the_portal_still_lands_in_admin(client, agent, standard_ladder):
    assert landing(portal_sign_in(client, agent)) == "/admin/"


def test_a_practice_user_still_lands_on_their_incidents(client, practice_user, standard_ladder):
    assert landing(portal_sign_in(client, practice_user)) == "/incidents/"


def test_a_next_of_their_own_wins_over_the_queue(client, leader):
    assert landing(portal_sign_in(client, leader, DEEP_ADMIN_PAGE)) == DEEP_ADMIN_PAGE


@pytest.mark.parametrize("opened", ["/admin/", "/admin/login/"])
def test_a_team_leader_signing_in_on_admins_form_lands_on_their_queue(client, leader, opened):
    """Admin's own form sends everyone to admin's index unless told otherwise, and that index is the `next`
    it gives whoever opens /admin/ signed out: neither is a page the person asked for."""
    assert landing(admin_sign_in(client, leader, opened)) == "/escalations/"


@pytest.mark.parametrize("opened", ["/admin/", "/admin/login/"])
def test_an_agent_signing_in_on_admins_form_still_lands_in_admin(client, agent, standard_ladder, opened):
    assert landing(admin_sign_in(client, agent, opened)) == "/admin/"


def test_a_deeper_admin_page_opened_signed_out_is_where_a_team_leader_lands(client, leader):
    assert landing(admin_sign_in(client, leader, DEEP_ADMIN_PAGE)) == DEEP_ADMIN_PAGE


def _with_second_factor(settings, user):
    settings.ADMIN_REQUIRE_2FA = True
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def _confirm_code(client, response, device):
    """On the second-factor page the sign-in led to, type the app's code."""
    page = landing(response)
    assert page.startswith("/accounts/two-factor/"), page
    code = f"{TOTP(device.bin_key).token():06d}"
    return client.post(page, {"code": code}, follow=True)


@pytest.mark.parametrize("door", ["portal", "admin"])
def test_the_queue_is_where_the_second_factor_leads(client, leader, settings, door):
    device = _with_second_factor(settings, leader)

    signed_in = portal_sign_in(client, leader) if door == "portal" else admin_sign_in(client, leader)

    assert landing(_confirm_code(client, signed_in, device)) == "/escalations/"


def test_after_the_second_factor_a_next_of_their_own_still_wins(client, leader, settings):
    device = _with_second_factor(settings, leader)

    signed_in = portal_sign_in(client, leader, DEEP_ADMIN_PAGE)

    assert landing(_confirm_code(client, signed_in, device)) == DEEP_ADMIN_PAGE


def test_after_the_second_factor_an_agent_still_lands_in_admin(client, agent, standard_ladder, settings):
    device = _with_second_factor(settings, agent)

    assert landing(_confirm_code(client, portal_sign_in(client, agent), device)) == "/admin/"


def test_admin_and_the_queue_link_to_each_other_for_a_team_leader(client, leader):
    queue = portal_sign_in(client, leader).content.decode()
    admin = client.get("/admin/").content.decode()

    assert 'href="/admin/"' in queue
    assert QUEUE_LINK in admin


def test_agents_are_not_offered_a_queue_they_cannot_open(client, agent, standard_ladder):
    portal_sign_in(client, agent)
    admin = client.get("/admin/").content.decode()
    portal_page = client.get("/help/").content.decode()

    assert QUEUE_LINK not in admin and QUEUE_LINK not in portal_page
    assert client.get("/escalations/").status_code == 403


def test_taken_off_the_ladder_the_link_goes_at_the_next_visit_to_the_queue(client, leader):
    portal_sign_in(client, leader)
    leader.escalation_levels.clear()

    assert client.get("/escalations/").status_code == 403
    assert QUEUE_LINK not in client.get("/admin/").content.decode()
