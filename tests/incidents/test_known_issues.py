"""Known issues (issue 19): the desk declares one fault many practices meet; the practices using its product
see it (a banner while it is severe), say "this affects us too" in one click, follow its updates, and its
release's shipment resolves every linked incident, each practice asked to confirm once."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from incidents.known_issues import (
    known_issue_declare,
    known_issue_fix,
    known_issue_link_incident,
    known_issue_post_update,
    matching_known_issues,
)
from incidents.models import Incident, KnownIssue, Status, TimelineEvent
from incidents.services import incident_confirm
from tests.conftest import login
from tests.factories import IncidentFactory, PracticeFactory, UserFactory
from tests.incidents.lifecycle_helpers import drive_to, make_release

KNOWN = "/admin/incidents/knownissue/"
INCIDENTS = "/admin/incidents/incident/"
NHS_NUMBER = "943 476 5919"  # passes the modulus-11 check

# The portal's known-issue list: user with practice, then the current known issues of the practice's products
# (each with whether the practice uses it and its own open linked incident, in subqueries), with the severe
# ones for the banner: one query each, however many known issues, practices and incidents there are.
LIST_QUERIES = 3
# A known issue's page: user with practice, the known issue (visible to the practice?) with its product and
# release, the practice's own linked incidents, the public updates, and the banner's query.
DETAIL_QUERIES = 5
# The portal guide on its own: user with practice, its contract and the contract's severity words.
HELP_QUERIES = 4  # the help page's 3, and the banner's 1


def text_of(response):
    return response.content.decode()


@pytest.fixture
def practice_client(practice_user):
    return login(Client(), practice_user)


@pytest.fixture
def outsider_client(outsider):
    return login(Client(), outsider)


@pytest.fixture
def stranger(db):
    """A practice that has never logged anything about the product."""
    return UserFactory(practice=PracticeFactory(name="Moorside Practice"), full_name="Lee Stone")


@pytest.fixture
def known_issue(agent, product, incident, other_incident):
    """Severity 2: prescriptions print blank. Both Riverside (practice_user) and Hillview (outsider) have
    logged incidents about the product, so both use it; neither incident is linked yet."""
    return known_issue_declare(
        actor=agent,
        product=product,
        title="Prescriptions print blank after the 5.4 upgrade",
        symptoms="The FP10 comes out of the printer blank, or with only the barcode.",
        versions_affected="5.4.0 to 5.4.2",
        severity=2,
        workaround="Print from the PDF preview.",
    )


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


# --- Declaring ---------------------------------------------------------------------------------------


def test_the_desk_declares_a_known_issue_from_an_incident_which_is_then_linked(
    agent_client, agent, incident, practice_client, django_capture_on_commit_callbacks, mailoutbox
):
    incident = drive_to(incident, Status.INVESTIGATING, agent=agent)
    mailoutbox.clear()
    page = agent_client.get(f"{INCIDENTS}{incident.pk}/change/")
    assert "Declare a known issue from this incident" in text_of(page)
    form = agent_client.get(f"{INCIDENTS}{incident.pk}/act/declare_known_issue/")
    assert incident.summary in text_of(form)  # the title starts from the incident's summary

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            f"{INCIDENTS}{incident.pk}/act/declare_known_issue/",
            {
                "title": "Printing fails on Windows 11 24H2",
                "symptoms": "Nothing prints; the queue shows Error.",
                "versions_affected": "5.4.2",
                "severity": "2",
                "workaround": "",
            },
            follow=True,
        )
    assert "Known issue “Printing fails on Windows 11 24H2” declared" in text_of(response)
    known_issue = KnownIssue.objects.get()
    assert known_issue.status == KnownIssue.Status.INVESTIGATING
    incident.refresh_from_db()
    assert incident.known_issue == known_issue
    # The practice reads on its incident's page that it follows the known issue, and hears so once.
    detail = practice_client.get(incident.get_absolute_url())
    assert "Linked to the known issue “Printing fails on Windows 11 24H2”" in text_of(detail)
    assert [m.to for m in mailoutbox] == [[incident.reporter.email]]


def test_the_desk_declares_a_known_issue_from_scratch_in_admin(agent_client, product, agent):
    response = agent_client.post(
        f"{KNOWN}add/",
        {
            "product": product.pk,
            "versions_affected": "All",
            "title": "Slow search",
            "symptoms": "Patient search takes a minute.",
            "severity": "3",
            "workaround": "Search by NHS number instead of name.",
        },
        follow=True,
    )
    assert response.status_code == 200
    known_issue = KnownIssue.objects.get()
    assert (known_issue.created_by, known_issue.status) == (agent, KnownIssue.Status.WORKAROUND)
    listing = text_of(agent_client.get(KNOWN))
    assert "Slow search" in listing and "Workaround available" in listing


def test_the_nhs_number_guard_checks_the_desks_symptoms_and_updates(agent_client, product, known_issue):
    declared = agent_client.post(
        f"{KNOWN}add/",
        {"product": product.pk, "title": "Wrong patient", "symptoms": f"Patient {NHS_NUMBER} shows twice.",
         "severity": "3"},
    )  # fmt: skip
    assert declared.status_code == 200 and "NHS number" in text_of(declared)
    assert KnownIssue.objects.count() == 1

    update = agent_client.post(
        f"{KNOWN}{known_issue.pk}/act/update/", {"text": f"Seen for {NHS_NUMBER}.", "public": "on"}
    )
    assert update.status_code == 400 and "NHS number" in text_of(update)
    assert not known_issue.updates.exists()


# --- The banner and the list -------------------------------------------------------------------------


def test_the_banner_shows_to_practices_using_the_product_and_not_to_others(
    known_issue, practice_client, stranger
):
    page = text_of(practice_client.get("/incidents/"))
    assert "Known issue:" in page and known_issue.title in page
    assert f'action="/known-issues/{known_issue.pk}/affects-us/"' in page

    stranger_page = text_of(login(Client(), stranger).get("/incidents/"))
    assert known_issue.title not in stranger_page
    assert login(Client(), stranger).get(known_issue.get_absolute_url()).status_code == 404


def test_a_practice_whose_only_use_is_older_than_a_year_sees_no_banner(agent, product, outsider):
    with time_machine.travel(timezone.now() - timedelta(days=400), tick=False):
        IncidentFactory(reporter=outsider, product=product)
    issue = known_issue_declare(
        actor=agent, product=product, title="Crash", symptoms="It crashes.", severity=1
    )
    assert issue.title not in text_of(login(Client(), outsider).get("/incidents/"))


def test_a_less_severe_known_issue_is_listed_but_shows_no_banner(agent, product, incident, practice_client):
    issue = known_issue_declare(
        actor=agent, product=product, title="Slow search", symptoms="Slow.", severity=3
    )
    assert issue.title not in text_of(practice_client.get("/incidents/"))
    listing = text_of(practice_client.get("/known-issues/"))
    assert issue.title in listing and "This affects us too" in listing


def test_the_banner_shows_a_fixed_issue_as_fixed_for_a_day_then_not_at_all(
    known_issue, agent, practice_client, on_commit
):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        on_commit(known_issue_fix, known_issue, actor=agent, resolution="Fixed by a new print template.")
        page = text_of(practice_client.get("/incidents/"))
        assert "Fixed:" in page and known_issue.title in page
        assert "This affects us too" not in page
        traveller.shift(timedelta(hours=25))
        assert known_issue.title not in text_of(practice_client.get("/incidents/"))
        assert known_issue.title not in text_of(practice_client.get("/known-issues/"))


# --- "This affects us too" ---------------------------------------------------------------------------


def test_affects_us_too_logs_a_linked_incident_with_its_checklist_filled_once(
    known_issue, outsider, outsider_client, product, django_capture_on_commit_callbacks, mailoutbox
):
    url = f"/known-issues/{known_issue.pk}/affects-us/"
    assert outsider_client.get(url).status_code == 405  # a change is a POST
    with django_capture_on_commit_callbacks(execute=True):
        response = outsider_client.post(url, follow=True)
    incident = Incident.objects.get(known_issue=known_issue)
    assert (incident.practice, incident.reporter, incident.product) == (outsider.practice, outsider, product)
    assert incident.summary == known_issue.title and incident.description == known_issue.symptoms
    assert (incident.version, incident.severity, incident.status) == ("5.4.0 to 5.4.2", 2, Status.LOGGED)
    assert response.redirect_chain[-1][0] == incident.get_absolute_url()
    assert f"Logged as {incident.reference}" in text_of(response)
    assert "its updates will appear here" in text_of(response)  # on the incident's own timeline
    assert len(mailoutbox) == 1  # the logged email, as for any incident

    again = outsider_client.post(url, follow=True)  # a second click
    assert Incident.objects.filter(known_issue=known_issue).count() == 1
    assert f"Your incident {incident.reference} already follows this known issue" in text_of(again)
    banner = text_of(outsider_client.get("/incidents/"))
    assert (
        f'Your incident <a class="alert-link" href="{incident.get_absolute_url()}">'
        f"{incident.reference}</a> follows this" in banner
    )
    assert "This affects us too" not in banner


def test_affects_us_too_on_a_severity_1_issue_does_not_page_the_desk_again(
    agent, product, outsider, outsider_client, other_incident, django_capture_on_commit_callbacks, mailoutbox
):
    issue = known_issue_declare(
        actor=agent, product=product, title="Nobody can log in", symptoms="x", severity=1
    )
    with django_capture_on_commit_callbacks(execute=True):
        outsider_client.post(f"/known-issues/{issue.pk}/affects-us/")
    incident = Incident.objects.get(known_issue=issue)
    assert incident.severity == 1
    assert [m.to for m in mailoutbox] == [[outsider.email]]  # the practice's "logged" email alone


def test_affects_us_too_is_refused_for_a_practice_not_using_the_product(known_issue, stranger):
    response = login(Client(), stranger).post(f"/known-issues/{known_issue.pk}/affects-us/")
    assert response.status_code == 404
    assert not Incident.objects.filter(known_issue=known_issue).exists()


def test_staff_get_no_portal_known_issue_pages(agent_client, known_issue):
    assert agent_client.get("/known-issues/").status_code == 403
    assert agent_client.get(known_issue.get_absolute_url()).status_code == 404
    assert agent_client.post(f"/known-issues/{known_issue.pk}/affects-us/").status_code == 404


# --- Updates ----------------------------------------------------------------------------------------


def test_a_public_update_reaches_every_linked_incident_and_each_practice_once(
    known_issue, incident, other_incident, agent, agent_client, practice_client, outsider_client, on_commit,
    mailoutbox, colleague,
):  # fmt: skip
    second = IncidentFactory(reporter=colleague, product=incident.product, summary="Blank scripts too")
    for linked in (incident, other_incident, second):
        known_issue_link_incident(known_issue, linked, actor=agent, tell_practice=False)
    response = on_commit(
        agent_client.post,
        f"{KNOWN}{known_issue.pk}/act/update/",
        {"text": "The supplier has reproduced the fault.", "public": "on"},
    )
    assert response.status_code == 302
    said = "Update on the known issue “Prescriptions print blank after the 5.4 upgrade”: The supplier has"
    for client, linked in (
        (practice_client, incident),
        (practice_client, second),
        (outsider_client, other_incident),
    ):
        assert said in text_of(client.get(linked.get_absolute_url()))
    # One email per practice: Riverside's two incidents are one practice.
    assert len(mailoutbox) == 2
    assert "The supplier has reproduced the fault." in text_of(
        practice_client.get(known_issue.get_absolute_url())
    )

    on_commit(
        known_issue_post_update, known_issue, actor=agent, text="Internal: vendor ticket 4411", public=False
    )
    assert len(mailoutbox) == 2
    assert "vendor ticket" not in text_of(practice_client.get(known_issue.get_absolute_url()))
    assert "vendor ticket" not in text_of(practice_client.get(incident.get_absolute_url()))


# --- Shipping the release -----------------------------------------------------------------------------


def test_shipping_the_release_resolves_every_linked_incident_with_one_email_each(
    known_issue, incident, other_incident, agent, agent_client, practice_user, colleague, on_commit,
    mailoutbox, product,
):  # fmt: skip
    release = make_release(product, version="5.4.3")
    logged = IncidentFactory(reporter=colleague, product=product, summary="Blank FP10s")  # still logged
    investigating = drive_to(other_incident, Status.INVESTIGATING, agent=agent)
    for linked in (incident, investigating, logged):
        known_issue_link_incident(known_issue, linked, actor=agent, tell_practice=False)
    scheduled = on_commit(
        agent_client.post, f"{KNOWN}{known_issue.pk}/act/schedule/", {"release": release.pk}, follow=True
    )
    assert "Fix scheduled" in text_of(scheduled)
    confirmation = text_of(agent_client.get(f"/admin/incidents/release/mark-shipped/?ids={release.pk}"))
    assert "3 incidents will be resolved" in confirmation
    mailoutbox.clear()

    shipped = on_commit(
        agent_client.post, "/admin/incidents/release/mark-shipped/", {"ids": release.pk}, follow=True
    )
    assert "3 incidents resolved, 2 practices emailed" in text_of(shipped)
    linked = Incident.objects.filter(known_issue=known_issue).order_by("pk")
    assert [i.status for i in linked] == [Status.RESOLVED] * 3
    assert {i.resolution for i in linked} == {f"Fixed in {product.name} 5.4.3, released "
                                              f"{timezone.localdate():%-d %B %Y}."}  # fmt: skip
    resolved_emails = [m for m in mailoutbox if "Resolved: please confirm" in m.subject + m.body]
    assert len(resolved_emails) == len(mailoutbox) == 3
    known_issue.refresh_from_db()
    assert known_issue.status == KnownIssue.Status.FIXED and known_issue.fixed_at

    # The desk sees how many practices confirmed.
    incident_confirm(linked[0], actor=practice_user)
    page = text_of(agent_client.get(f"{KNOWN}{known_issue.pk}/change/"))
    assert "1 of 2 practices confirmed the fix" in page
    assert "Riverside Medical Centre" in page and "Hillview Surgery" in page


# --- What a practice sees of others ----------------------------------------------------------------


def test_another_practices_linked_incident_is_never_revealed(
    known_issue, incident, other_incident, agent, practice_client, outsider_client
):
    for linked in (incident, other_incident):
        known_issue_link_incident(known_issue, linked, actor=agent, tell_practice=False)
    for client, own, theirs in ((practice_client, incident, other_incident),
                                (outsider_client, other_incident, incident)):  # fmt: skip
        for url in ("/known-issues/", known_issue.get_absolute_url(), "/incidents/"):
            page = text_of(client.get(url))
            assert theirs.reference not in page and theirs.summary not in page
            assert theirs.practice.name not in page
        detail = text_of(client.get(known_issue.get_absolute_url()))
        assert own.reference in detail


# --- Queries ---------------------------------------------------------------------------------------


def test_the_list_detail_and_a_page_with_the_banner_take_pinned_queries(
    known_issue, agent, practice_client, practice_user, product, django_assert_num_queries, colleague
):
    for n in range(3):  # more known issues, linked incidents and updates cost no more queries
        extra = known_issue_declare(
            actor=agent, product=product, title=f"Fault {n}", symptoms="x", severity=n + 1
        )
        linked = IncidentFactory(reporter=colleague, product=product)
        known_issue_link_incident(extra, linked, actor=agent, tell_practice=False)
        known_issue_post_update(extra, actor=agent, text=f"Update {n}")
    practice_client.get("/known-issues/")  # the session is now cached
    with django_assert_num_queries(LIST_QUERIES):
        listing = practice_client.get("/known-issues/")
    assert text_of(listing).count("card-title") == 4
    with django_assert_num_queries(DETAIL_QUERIES):
        practice_client.get(known_issue.get_absolute_url())
    # A portal page pays one query for the banner, however many known issues there are.
    with django_assert_num_queries(HELP_QUERIES):
        practice_client.get("/help/")


def test_a_page_without_severe_known_issues_pays_the_same_one_query_and_shows_no_banner(
    practice_client, incident, django_assert_num_queries
):
    practice_client.get("/help/")
    with django_assert_num_queries(HELP_QUERIES):
        page = practice_client.get("/help/")
    assert "Known issue:" not in text_of(page)  # the banner's words (the top bar says "Known issues")


# --- For the log form's suggestions ------------------------------------------------------------------


def test_matching_known_issues_finds_current_ones_by_all_words_for_the_practice(
    known_issue, agent, practice_user, stranger, on_commit
):
    assert matching_known_issues("blank prescriptions", practice=practice_user.practice) == [known_issue]
    assert matching_known_issues("BARCODE fp10", practice=practice_user.practice) == [known_issue]
    assert matching_known_issues("blank scanner", practice=practice_user.practice) == []
    assert matching_known_issues("blank", practice=stranger.practice) == []
    on_commit(known_issue_fix, known_issue, actor=agent, resolution="Fixed.")
    assert matching_known_issues("blank", practice=practice_user.practice) == [known_issue]  # fixed today
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        assert matching_known_issues("blank", practice=practice_user.practice) == []


# --- Admin -------------------------------------------------------------------------------------------


def test_the_dashboard_counts_known_issues_and_their_open_incidents(
    known_issue, incident, other_incident, agent, agent_client, product
):
    for linked in (incident, other_incident):
        known_issue_link_incident(known_issue, linked, actor=agent, tell_practice=False)
    page = text_of(agent_client.get("/admin/"))
    counts = dict(
        (label, int(count))
        for count, label in re.findall(
            r'desk-queue-count">(\d+)</span>\s*<span class="desk-queue-label">([^<]+)<', page
        )
    )
    assert counts["Known issues not yet fixed"] == 1
    assert counts["Open incidents linked to them"] == 2
    listed = text_of(agent_client.get(f"{KNOWN}?fixed=no"))  # where the counts lead
    assert known_issue.title in listed


def test_an_incident_can_be_linked_and_unlinked_from_its_admin_page(
    known_issue, incident, agent_client, practice_client, on_commit
):
    url = f"{INCIDENTS}{incident.pk}/act/link_known_issue/"
    on_commit(agent_client.post, url, {"known_issue": known_issue.pk})
    incident.refresh_from_db()
    assert incident.known_issue == known_issue
    listing = text_of(agent_client.get(f"{KNOWN}"))
    assert re.search(r'field-linked_incidents">1<', listing)
    on_commit(agent_client.post, f"{INCIDENTS}{incident.pk}/act/unlink_known_issue/", {})
    incident.refresh_from_db()
    assert incident.known_issue is None
    assert "No longer linked to the known issue" in text_of(practice_client.get(incident.get_absolute_url()))


def test_linking_a_closed_incident_is_refused_with_a_message(known_issue, incident, agent, agent_client):
    closed = drive_to(incident, Status.CLOSED, agent=agent)
    response = agent_client.post(f"{KNOWN}{known_issue.pk}/act/link/", {"reference": closed.reference})
    assert response.status_code == 409
    assert f"{closed.reference} is closed" in text_of(response)
    assert not TimelineEvent.objects.filter(incident=closed, kind=TimelineEvent.Kind.KNOWN_ISSUE).exists()


def test_the_known_issues_are_in_the_practices_top_bar_whatever_their_severity(practice_client, incident):
    page = practice_client.get("/help/").content.decode()

    assert '<a class="nav-link" href="/known-issues/">Known issues</a>' in page


# --- What the review of the merged code found -------------------------------------------------------


def test_the_desk_changes_the_status_and_taking_it_back_from_its_release_unschedules_the_fix(
    agent_client, known_issue, product, on_commit
):
    release = make_release(product, version="5.4.3")
    on_commit(agent_client.post, f"{KNOWN}{known_issue.pk}/act/schedule/", {"release": release.pk})

    response = on_commit(
        agent_client.post,
        f"{KNOWN}{known_issue.pk}/act/status/",
        {"status": "investigating", "note": "Pulled from the release."},
    )

    assert response.status_code == 302
    known_issue.refresh_from_db()
    assert (known_issue.status, known_issue.release) == (KnownIssue.Status.INVESTIGATING, None)
    update = known_issue.updates.order_by("-pk").first()
    assert "no longer scheduled into a release" in update.text and "Pulled from the release." in update.text


def test_the_product_of_a_known_issue_with_linked_incidents_cannot_change(
    agent_client, agent, known_issue, incident
):
    from tests.factories import ProductFactory

    known_issue_link_incident(known_issue, incident, actor=agent, tell_practice=False)
    other = ProductFactory(name="Synergy Reporting")

    response = agent_client.post(
        f"{KNOWN}{known_issue.pk}/change/",
        {
            "product": other.pk,
            "versions_affected": known_issue.versions_affected,
            "title": known_issue.title,
            "symptoms": known_issue.symptoms,
            "severity": known_issue.severity,
            "workaround": known_issue.workaround,
        },
    )

    assert response.status_code == 200  # the form again, with the reason beside the field
    assert "its product can no longer change" in text_of(response)
    known_issue.refresh_from_db()
    assert known_issue.product != other


def test_a_number_that_only_looks_like_an_nhs_number_can_be_confirmed_in_a_known_issue(agent_client, product):
    from tests.incidents.test_nhs_guard import SPACED, post_confirming

    data = {
        "product": product.pk,
        "versions_affected": "All",
        "title": "Order numbers refused",
        "symptoms": f"Order {SPACED} is refused at checkout.",
        "severity": "3",
        "workaround": "",
    }

    response = post_confirming(agent_client, f"{KNOWN}add/", data)

    assert response.status_code == 302
    assert KnownIssue.objects.get().symptoms == data["symptoms"]
