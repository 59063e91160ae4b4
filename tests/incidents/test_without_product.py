"""An incident that came by email has no product until the practice completes its checklist (issue 15):
every page, email and admin screen that shows a product copes with none, and what needs one says so."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.urls import NoReverseMatch, reverse

from inbound.models import InboundMessage
from incidents.models import Channel, Incident, Severity, Status
from incidents.services import InvalidTransition, incident_schedule_fix
from servicedesk.lib.support_hours import LONDON
from surveys.models import Invitation
from tests.conftest import login
from tests.factories import IncidentFactory
from tests.incidents.helpers import admin_change_data
from tests.incidents.lifecycle_helpers import drive_to, make_release, snapshot
from tests.surveys.test_answer import make_invitation
from tests.surveys.test_results import answer, make_round

CHANGELIST = "/admin/incidents/incident/"


def text_of(response):
    return response.content.decode()


def change_url(incident):
    return f"{CHANGELIST}{incident.pk}/change/"


def emailed_incident(reporter, **kwargs):
    """As the intake logs it: channel email, severity 3, no product, the reporter's name and phone."""
    return IncidentFactory(
        reporter=reporter,
        channel=Channel.EMAIL,
        product=None,
        contact_number=reporter.phone,
        summary="Prescriptions will not print",
        **kwargs,
    )


@pytest.fixture
def emailed(practice_user):
    return emailed_incident(practice_user)


# --- The portal ---------------------------------------------------------------------------------


def test_the_practices_list_shows_an_incident_without_a_product(user_client, emailed, incident):
    """The list has no product column (issue 16): an emailed incident is listed like any other."""
    response = user_client.get("/incidents/")

    html = text_of(response)
    assert response.status_code == 200
    assert emailed.reference in html and incident.reference in html
    assert ">None<" not in html


def test_the_incident_page_shows_a_product_not_yet_given(user_client, emailed):
    response = user_client.get(emailed.get_absolute_url())

    html = text_of(response)
    assert response.status_code == 200
    assert '<dt class="col-sm-4">Product</dt><dd class="col-sm-8">Not yet given</dd>' in html
    assert "(on the current version" not in html


def test_logging_with_a_version_but_no_product_leaves_the_current_version_unjudged(practice_user):
    incident = emailed_incident(practice_user, version="5.4.2")

    assert incident.on_current_version == "unknown"


# --- Emails -------------------------------------------------------------------------------------


def test_the_logged_email_says_the_product_is_not_yet_given(
    practice_user, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = emailed_incident(practice_user)

    (message,) = mailoutbox
    assert incident.reference in message.subject
    assert "Product: Not yet given" in message.body
    assert "<li>Product: Not yet given</li>" in message.alternatives[0][0]


def test_the_severity_one_alert_says_the_product_is_not_yet_given(
    practice_user, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.SERVICE_DESK_ALERT_EMAILS = ["on-call@servicedesk.example.org"]

    with django_capture_on_commit_callbacks(execute=True):
        incident = emailed_incident(practice_user, severity=Severity.SYSTEM_UNAVAILABLE)

    alert = next(m for m in mailoutbox if m.to == ["on-call@servicedesk.example.org"])
    assert incident.reference in alert.subject
    assert "Product: Not yet given" in alert.body
    assert "<li>Product: Not yet given</li>" in alert.alternatives[0][0]


def test_the_survey_invitation_and_its_page_name_the_incident_without_an_empty_product(
    client, practice_user, mailoutbox
):
    with time_machine.travel(datetime(2026, 11, 1, 2, 5, tzinfo=LONDON), tick=False):
        invitation = make_invitation(practice_user, None)
        page = client.get(f"/surveys/{invitation.token}/")

    reference = invitation.incident.reference
    message = next(m for m in mailoutbox if "survey" in m.subject.lower())
    for body in (message.body, message.alternatives[0][0]):
        assert "closed on 14 October 2026" in body
        assert "()" not in body
    assert f"Your incident {reference} was closed" in message.body
    assert page.status_code == 200
    assert f"About incident <strong>{reference}</strong>,\n" in text_of(page)


# --- Survey results -----------------------------------------------------------------------------


@pytest.fixture
def answered_without_product(practice_user):
    """A survey answered about an emailed incident that was closed with no product given."""
    with time_machine.travel(datetime(2026, 11, 20, 10, 0, tzinfo=LONDON), tick=False):
        incident = emailed_incident(practice_user)
        sent = datetime(2026, 11, 1, 2, 5, tzinfo=LONDON)
        invitation = Invitation.objects.create(
            round=make_round(date(2026, 10, 1)),
            customer=practice_user,
            incident=incident,
            claimed_at=sent,
            sent_at=sent,
            expires_at=sent + timedelta(days=28),
        )
        answer(invitation, 4, True, 4, "Sorted the same day.")
        yield incident


def test_survey_results_show_a_comment_about_an_incident_without_a_product(
    client, team_leader, answered_without_product
):
    with time_machine.travel(datetime(2026, 11, 20, 10, 0, tzinfo=LONDON), tick=False):
        response = login(client, team_leader).get("/surveys/results/")

    html = text_of(response)
    assert response.status_code == 200
    assert "Sorted the same day." in html
    assert f"{answered_without_product.practice.name} · no product given ·" in html


def test_the_survey_csv_leaves_the_product_empty(client, team_leader, answered_without_product):
    with time_machine.travel(datetime(2026, 11, 20, 10, 0, tzinfo=LONDON), tick=False):
        response = login(client, team_leader).get("/surveys/results.csv")
        rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()

    assert response.status_code == 200
    header, row = rows[0].split(","), rows[1].split(",")
    assert row[header.index("Incident")] == answered_without_product.reference
    assert row[header.index("Product")] == ""


# --- Admin --------------------------------------------------------------------------------------


def test_the_changelist_shows_and_filters_incidents_without_a_product(agent_client, emailed, incident):
    everything = agent_client.get(CHANGELIST)
    waiting = agent_client.get(CHANGELIST, {"product__isnull": "True"})

    assert everything.status_code == 200
    assert emailed.reference in text_of(everything) and incident.reference in text_of(everything)
    assert "Not yet given" in text_of(everything)  # the product filter's choice
    assert emailed.reference in text_of(waiting)
    assert incident.reference not in text_of(waiting)


def test_the_change_page_says_the_incident_came_by_email(agent_client, emailed, practice_user):
    response = agent_client.get(change_url(emailed))

    html = text_of(response)
    assert response.status_code == 200
    assert "This incident came by email from" in html
    assert f"{practice_user.full_name}, keyed in by {practice_user.full_name}" in html
    assert "The practice has not yet given the product." in html


def test_the_change_page_names_the_message_that_logged_it(agent_client, emailed):
    with time_machine.travel(datetime(2026, 3, 2, 9, 15, tzinfo=LONDON), tick=False):
        first = InboundMessage.objects.create(
            sha256="a" * 64,
            source=InboundMessage.Source.IMAP,
            sender="alex@riverside.example",
            size=2048,
            outcome=InboundMessage.Outcome.LOGGED,
            incident=emailed,
        )
    with time_machine.travel(datetime(2026, 3, 3, 9, 15, tzinfo=LONDON), tick=False):
        InboundMessage.objects.create(  # a reply, which added a note
            sha256="b" * 64,
            source=InboundMessage.Source.IMAP,
            sender="sam@riverside.example",
            size=1024,
            outcome=InboundMessage.Outcome.NOTE,
            incident=emailed,
        )

    html = text_of(agent_client.get(change_url(emailed)))

    assert "alex@riverside.example" in html and "on 2 March 2026, 09:15." in html
    assert "sam@riverside.example" not in html
    try:
        link = reverse("admin:inbound_inboundmessage_change", args=[first.pk])
    except NoReverseMatch:  # inbound's admin is not registered yet: the sender is named without a link
        assert '<a href="/admin/inbound/' not in html
    else:
        assert f'<a href="{link}">alex@riverside.example</a>' in html


def test_a_telephoned_incidents_change_page_says_nothing_of_email(agent_client, incident):
    assert "came by email" not in text_of(agent_client.get(change_url(incident)))


def test_an_agent_corrects_an_emailed_incident_without_giving_its_product(agent_client, agent, emailed):
    data = admin_change_data(emailed, product="", contact_number="01632 960777")

    response = agent_client.post(change_url(emailed), data)

    assert response.status_code == 302
    emailed.refresh_from_db()
    assert emailed.contact_number == "01632 960777"
    assert emailed.product is None


def test_an_agent_gives_an_emailed_incident_its_product(agent_client, emailed, product):
    response = agent_client.post(change_url(emailed), admin_change_data(emailed, product=product.pk))

    assert response.status_code == 302
    emailed.refresh_from_db()
    assert emailed.product == product


def test_a_product_given_cannot_be_taken_away_in_admin(agent_client, incident):
    before = snapshot(incident)

    response = agent_client.post(change_url(incident), admin_change_data(incident, product=""))

    assert response.status_code == 200
    assert "product" in response.context["adminform"].form.errors
    assert snapshot(incident) == before


def test_the_admin_add_form_still_requires_a_product(agent_client, admin_incident_data):
    admin_incident_data.pop("product")

    response = agent_client.post(f"{CHANGELIST}add/", admin_incident_data)

    assert response.status_code == 200
    assert "product" in response.context["adminform"].form.errors
    assert not Incident.objects.exists()


def test_scheduling_a_fix_without_a_product_is_refused_clearly(
    agent_client, agent, emailed, product, django_capture_on_commit_callbacks, mailoutbox
):
    emailed = drive_to(emailed, Status.INVESTIGATING, agent=agent)
    release = make_release(product)
    before = snapshot(emailed)
    url = f"{CHANGELIST}{emailed.pk}/act/schedule_fix/"

    shown = agent_client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        posted = agent_client.post(url, {"release": release.pk, "workaround": ""})

    assert shown.status_code == 200
    assert "Set the product first" in text_of(shown)
    assert posted.status_code == 400
    assert "Set the product first" in text_of(posted)
    assert snapshot(emailed) == before
    assert mailoutbox == []


def test_the_service_refuses_to_schedule_a_fix_without_a_product(agent, emailed, product):
    emailed = drive_to(emailed, Status.INVESTIGATING, agent=agent)

    with pytest.raises(InvalidTransition, match="Set the product first"):
        incident_schedule_fix(emailed, actor=agent, release=make_release(product))

    emailed.refresh_from_db()
    assert emailed.status == Status.INVESTIGATING
