"""The practice completes the checklist of an incident that came by email (issue 15): the intake logs it
without a product, and its reply links to /incidents/<reference>/details/."""

import pytest
from django.test import Client
from django.urls import reverse

from incidents.models import Channel, Incident, Status, TimelineEvent
from tests.conftest import login
from tests.factories import IncidentFactory, ProductFactory
from tests.incidents.lifecycle_helpers import drive_to, snapshot
from tests.incidents.test_nhs_guard import SPACED, post_confirming

# The completion page, whatever the incident's history: user with practice, the incident with its product,
# site and reporter, the contract's severity words (the page names the severity), the practice's sites and
# the products for the choices; and the known issues' banner (issue 19).
GET_QUERIES = 6
# Saving the product, version and number: user with practice, the incident, the chosen product (the form
# looks it up), then in the service's transaction its savepoint, the incident locked, its update, the
# timeline entry, the practice's time of last entry on the incident ("practice replied", issue 17), and the
# savepoint's release (the test's own transaction turns the commit into that).
POST_QUERIES = 9


def details_url(incident):
    return reverse("incidents:complete_details", kwargs={"reference": incident.reference})


def text_of(response):
    return response.content.decode()


@pytest.fixture
def emailed(practice_user):
    """An incident as the intake logs it from an email: no product or version, and no telephone number
    (the reporter gave none)."""
    return IncidentFactory(
        reporter=practice_user,
        channel=Channel.EMAIL,
        product=None,
        contact_number="",
        summary="Prescriptions will not print",
        description="Since this morning nothing prints from the prescribing screen.",
    )


def as_shown(client, incident, **changes):
    """What the completion form posts back with nothing changed but `changes`, as a browser would send it."""
    form = client.get(details_url(incident)).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value not in (None, False, ""):
            data[name] = "on" if value is True else value
    return {**data, **changes}


def complete(client, incident, product, **changes):
    """The practice gives the product, the version in use and a number to call back."""
    given = {"product": product.pk, "version": "5.4.2", "contact_number": "01632 960123", **changes}
    return client.post(details_url(incident), as_shown(client, incident, **given))


# --- The call to action ---------------------------------------------------------------------------


def test_the_page_of_an_emailed_incident_asks_for_its_checklist(user_client, emailed):
    html = text_of(user_client.get(emailed.get_absolute_url()))

    assert "Please complete the checklist" in html
    assert "Still to give: the product, the version in use, a number to call you back on." in html
    assert f'href="{details_url(emailed)}"' in html
    assert "Logged by email" in html
    assert "Not yet given" in html


def test_the_call_to_action_names_only_what_is_still_missing(user_client, emailed, product):
    Incident.objects.filter(pk=emailed.pk).update(product=product, contact_number="01632 960123")

    html = text_of(user_client.get(emailed.get_absolute_url()))

    assert "Still to give: the version in use." in html


def test_a_completed_incident_no_longer_asks_but_may_still_be_changed(user_client, emailed, product):
    complete(user_client, emailed, product)

    html = text_of(user_client.get(emailed.get_absolute_url()))

    assert "Please complete the checklist" not in html
    assert f'<a href="{details_url(emailed)}">Change the details</a>' in html


def test_an_incident_logged_in_the_portal_offers_no_checklist_to_complete(user_client, incident):
    html = text_of(user_client.get(incident.get_absolute_url()))

    assert "Logged through the portal" in html
    assert details_url(incident) not in html


def test_a_closed_emailed_incident_offers_no_checklist_to_complete(user_client, emailed, agent):
    emailed = drive_to(emailed, Status.CLOSED, agent=agent)

    html = text_of(user_client.get(emailed.get_absolute_url()))

    assert "Logged by email" in html
    assert details_url(emailed) not in html


# --- Completing it --------------------------------------------------------------------------------


def test_the_form_shows_what_the_email_gave(user_client, emailed):
    response = user_client.get(details_url(emailed))

    html = text_of(response)
    assert response.status_code == 200
    assert f"Complete the checklist for {emailed.reference}" in html
    assert 'value="Prescriptions will not print"' in html
    assert "Since this morning nothing prints from the prescribing screen." in html
    assert 'name="severity"' not in html  # the desk verifies the severity
    assert 'type="file"' not in html  # files go with a note


def test_a_colleague_completes_product_version_and_number_and_the_timeline_names_them(
    client, colleague, emailed, product, django_capture_on_commit_callbacks, mailoutbox
):
    login(client, colleague)

    with django_capture_on_commit_callbacks(execute=True):
        response = complete(client, emailed, product)

    assert response.status_code == 302
    assert response.url == emailed.get_absolute_url()
    emailed.refresh_from_db()
    assert (emailed.product, emailed.version, emailed.contact_number) == (product, "5.4.2", "01632 960123")
    assert emailed.on_current_version == "yes"  # 5.4.2 is the product's current version, as when logging
    event = emailed.events.get(kind=TimelineEvent.Kind.DETAILS)
    assert event.actor == colleague
    assert event.public
    assert "Product: “—” → “Synergy Clinical”" in event.text
    assert "On the current version?: “Don't know” → “Yes”" in event.text
    assert "Version in use: changed" in event.text  # free text is not copied into the history
    page = text_of(client.get(response.url))
    assert f"Thank you: the details of {emailed.reference} are saved." in page
    assert "Synergy Clinical 5.4.2 (on the current version: Yes)" in page
    assert "01632 960123" in page
    assert "Details corrected</strong> by Sam Patel" in page
    assert mailoutbox == []  # the practice changed its own checklist: nobody else needs an email


def test_an_older_version_is_recorded_as_not_the_current_one(user_client, emailed, product):
    complete(user_client, emailed, product, version="5.3.0", on_current_version="yes")

    emailed.refresh_from_db()
    assert emailed.on_current_version == "no"


def test_the_summary_and_description_can_be_corrected(user_client, emailed, product):
    complete(user_client, emailed, product, summary="Prescriptions print blank", description="Blank pages.")

    emailed.refresh_from_db()
    assert (emailed.summary, emailed.description) == ("Prescriptions print blank", "Blank pages.")


def test_the_product_is_required(user_client, emailed):
    before = snapshot(emailed)

    response = user_client.post(details_url(emailed), as_shown(user_client, emailed, version="5.4.2"))

    assert response.status_code == 400
    assert "There is a problem" in text_of(response)
    assert "product" in response.context["form"].errors
    assert snapshot(emailed) == before


def test_an_inactive_product_cannot_be_chosen(user_client, emailed):
    withdrawn = ProductFactory(name="Old Suite", is_active=False)

    response = complete(user_client, emailed, withdrawn)

    assert response.status_code == 400
    assert "product" in response.context["form"].errors


def test_remote_access_details_are_kept_and_never_shown_back(user_client, emailed, product):
    complete(
        user_client, emailed, product, remote_access_allowed="on", remote_access_details="ID 123 456 789"
    )

    html = text_of(user_client.get(details_url(emailed)))

    assert "ID 123 456 789" not in html
    assert "Connection details were given already" in html
    emailed.refresh_from_db()
    assert emailed.remote_access_details == "ID 123 456 789"
    complete(user_client, emailed, product, machine_name="RECEPTION-PC-02")  # the details left empty
    emailed.refresh_from_db()
    assert emailed.remote_access_details == "ID 123 456 789"


def test_saving_with_nothing_changed_says_so_and_records_nothing(user_client, emailed, product):
    Incident.objects.filter(pk=emailed.pk).update(
        product=product, version="5.4.2", contact_number="01632 960123"
    )

    response = user_client.post(details_url(emailed), as_shown(user_client, emailed))

    assert response.status_code == 302
    assert f"Nothing was changed in the details of {emailed.reference}." in text_of(
        user_client.get(response.url)
    )
    assert not emailed.events.filter(kind=TimelineEvent.Kind.DETAILS).exists()


# --- What is refused ----------------------------------------------------------------------------


def test_another_practices_user_gets_not_found_and_changes_nothing(client, outsider, emailed, product):
    login(client, outsider)
    before = snapshot(emailed)

    shown = client.get(details_url(emailed))
    posted = client.post(details_url(emailed), {"product": product.pk, "version": "5.4.2"})

    assert (shown.status_code, posted.status_code) == (404, 404)
    assert snapshot(emailed) == before


def test_anonymous_visitors_are_sent_to_sign_in(client, emailed):
    response = client.get(details_url(emailed))

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_a_get_never_changes_anything(user_client, emailed, product):
    before = snapshot(emailed)

    response = user_client.get(details_url(emailed), {"product": product.pk, "version": "5.4.2"})

    assert response.status_code == 200
    assert snapshot(emailed) == before


def test_a_post_without_the_csrf_token_is_refused(practice_user, emailed, product):
    client = login(Client(enforce_csrf_checks=True), practice_user)
    before = snapshot(emailed)

    response = client.post(details_url(emailed), {"product": product.pk, "version": "5.4.2"})

    assert response.status_code == 403
    assert snapshot(emailed) == before


def test_an_nhs_number_is_refused_and_nothing_saved_until_confirmed(
    user_client, practice_user, emailed, product
):
    before = snapshot(emailed)
    data = as_shown(
        user_client,
        emailed,
        product=product.pk,
        version="5.4.2",
        contact_number="01632 960123",
        onscreen_messages=f"Patient {SPACED} not found",
    )

    refused = user_client.post(details_url(emailed), data)

    html = text_of(refused)
    assert refused.status_code == 400
    assert f"Messages on screen contains “{SPACED}”, which looks like an NHS number" in html
    assert "if it is not an NHS number, tick “It is not an NHS number” under “Messages on screen”" in html
    assert 'name="confirm_not_nhs_number"' in html
    assert snapshot(emailed) == before

    confirmed = post_confirming(user_client, details_url(emailed), data)

    assert confirmed.status_code == 302
    emailed.refresh_from_db()
    assert emailed.onscreen_messages == f"Patient {SPACED} not found"
    override = emailed.events.get(kind=TimelineEvent.Kind.NHS_OVERRIDE)
    assert override.actor == practice_user
    assert "Messages on screen" in override.text


def test_a_closed_incidents_details_cannot_be_completed(user_client, emailed, agent, product):
    emailed = drive_to(emailed, Status.CLOSED, agent=agent)
    before = snapshot(emailed)

    shown = user_client.get(details_url(emailed))
    posted = user_client.post(details_url(emailed), {"product": product.pk, "version": "5.4.2"})

    for response in (shown, posted):
        assert response.status_code == 409
        assert f"{emailed.reference} is closed, so its details can no longer be changed." in text_of(response)
    assert snapshot(emailed) == before


def test_an_incident_closed_while_the_form_was_open_is_not_changed(user_client, emailed, agent, product):
    data = as_shown(user_client, emailed, product=product.pk, version="5.4.2", contact_number="01632 960123")
    Incident.objects.filter(pk=emailed.pk).update(status=Status.CLOSED)  # meanwhile, in another request
    before = snapshot(emailed)

    response = user_client.post(details_url(emailed), data)

    assert response.status_code == 409
    assert snapshot(emailed) == before


def test_a_portal_incidents_details_are_not_changed_here(user_client, incident, product):
    before = snapshot(incident)

    response = user_client.post(details_url(incident), {"product": product.pk, "version": "1.0"})

    assert response.status_code == 409
    assert f"{incident.reference} was logged through the portal with its checklist." in text_of(response)
    assert snapshot(incident) == before


def test_too_many_changes_are_refused_keeping_what_was_typed(user_client, emailed, product, settings):
    settings.PORTAL_ACTION_RATE_LIMIT = "1/h"
    data = as_shown(user_client, emailed, product=product.pk, version="5.4.2", contact_number="01632 960123")
    user_client.post(details_url(emailed), {**data, "machine_name": "RECEPTION-PC-01"})

    response = user_client.post(details_url(emailed), {**data, "machine_name": "RECEPTION-PC-02"})

    assert response.status_code == 429
    assert 'value="RECEPTION-PC-02"' in text_of(response)
    emailed.refresh_from_db()
    assert emailed.machine_name == "RECEPTION-PC-01"


# --- Query counts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("notes", [0, 10])
def test_the_completion_page_takes_the_same_queries_however_long_the_history(
    user_client, emailed, product, django_assert_num_queries, notes
):
    for n in range(notes):
        TimelineEvent.objects.create(incident=emailed, kind="note", actor=emailed.reporter, text=f"Note {n}")
    data = as_shown(user_client, emailed, product=product.pk, version="5.4.2", contact_number="01632 960123")

    with django_assert_num_queries(GET_QUERIES):
        user_client.get(details_url(emailed))
    with django_assert_num_queries(POST_QUERIES):
        response = user_client.post(details_url(emailed), data)

    assert response.status_code == 302
