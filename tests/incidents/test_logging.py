"""A practice user logs an incident in the portal and gets its reference at once."""

import re

import pytest
from django.conf import settings
from django.db.models import ProtectedError

from incidents.models import Channel, Incident, Status, TimelineEvent
from tests.factories import IncidentFactory, SiteFactory
from tests.incidents.helpers import LOG_QUERIES
from tests.sample_files import png

REFERENCE = re.compile(rf"^{re.escape(settings.INCIDENT_REFERENCE_PREFIX)}\d{{6}}$")


def log(client, data, capture):
    with capture(execute=True):
        return client.post("/incidents/new/", data)


def test_logging_redirects_to_the_incident_page_with_its_reference(
    user_client, incident_data, django_capture_on_commit_callbacks
):
    response = log(user_client, incident_data, django_capture_on_commit_callbacks)

    incident = Incident.objects.get()
    assert REFERENCE.match(incident.reference)
    assert response.status_code == 302
    assert response.url == f"/incidents/{incident.reference}/"
    page = user_client.get(response.url)
    assert page.status_code == 200
    assert f"Its reference is {incident.reference}" in page.content.decode()


def test_logged_incident_belongs_to_the_reporters_practice(
    user_client, practice_user, incident_data, django_capture_on_commit_callbacks
):
    log(user_client, incident_data, django_capture_on_commit_callbacks)

    incident = Incident.objects.get()
    assert incident.status == Status.LOGGED
    assert incident.channel == Channel.PORTAL
    assert incident.practice == practice_user.practice
    assert incident.reporter == practice_user
    assert incident.logged_by == practice_user
    assert incident.summary == "Appointments screen freezes"


def test_logging_records_a_logged_event_with_the_actor(
    user_client, practice_user, incident_data, django_capture_on_commit_callbacks
):
    log(user_client, incident_data, django_capture_on_commit_callbacks)

    event = TimelineEvent.objects.get(kind=TimelineEvent.Kind.LOGGED)
    assert event.incident == Incident.objects.get()
    assert event.actor == practice_user


def test_logging_emails_the_reference_and_the_desks_phone_to_the_reporter(
    user_client, practice_user, incident_data, django_capture_on_commit_callbacks, mailoutbox
):
    log(user_client, incident_data, django_capture_on_commit_callbacks)

    reference = Incident.objects.get().reference
    phone = settings.SERVICE_DESK["phone"]
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [practice_user.email]
    assert reference in email.subject
    assert reference in email.body
    assert phone in email.body
    html = email.alternatives[0].content
    assert reference in html
    assert phone in html


def test_missing_required_fields_show_errors_and_save_nothing(
    user_client, incident_data, django_capture_on_commit_callbacks, mailoutbox
):
    for name in ("summary", "description", "product", "contact_number"):
        incident_data.pop(name)

    response = log(user_client, incident_data, django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert set(response.context["form"].errors) >= {"summary", "description", "product", "contact_number"}
    assert not Incident.objects.exists()
    assert mailoutbox == []


def test_severity_one_without_promising_to_telephone_is_refused(
    user_client, incident_data, django_capture_on_commit_callbacks, mailoutbox
):
    incident_data["severity"] = "1"

    response = log(user_client, incident_data, django_capture_on_commit_callbacks)

    assert response.status_code == 400
    error = " ".join(response.context["form"].errors["will_telephone"])
    assert settings.SERVICE_DESK["phone"] in error
    assert error in response.content.decode()
    assert not Incident.objects.exists()
    assert mailoutbox == []


def test_severity_one_with_the_promise_is_logged_and_alerts_the_desk(
    user_client, practice_user, incident_data, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.SERVICE_DESK_ALERT_EMAILS = ["on-call@servicedesk.example.org"]
    incident_data.update(severity="1", will_telephone="on")

    response = log(user_client, incident_data, django_capture_on_commit_callbacks)

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert incident.severity == 1
    assert sorted(email.to[0] for email in mailoutbox) == [
        practice_user.email,
        "on-call@servicedesk.example.org",
    ]
    alert = next(email for email in mailoutbox if email.to == ["on-call@servicedesk.example.org"])
    assert incident.reference in alert.subject


def test_new_incident_page_shows_the_handbooks_severity_descriptions(user_client, product):
    response = user_client.get("/incidents/new/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "Users cannot log in" in content
    assert "General queries" in content


def test_a_site_of_another_practice_is_refused(
    user_client, incident_data, other_practice, django_capture_on_commit_callbacks
):
    incident_data["site"] = SiteFactory(practice=other_practice, name="Elsewhere").pk

    response = log(user_client, incident_data, django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert "site" in response.context["form"].errors
    assert not Incident.objects.exists()


def _number(reference):
    return int(reference.removeprefix(settings.INCIDENT_REFERENCE_PREFIX))


@pytest.mark.django_db
def test_consecutive_incidents_get_consecutive_references(practice_user, product):
    first = IncidentFactory(reporter=practice_user, product=product)
    second = IncidentFactory(reporter=practice_user, product=product)

    assert first.reference != second.reference
    assert REFERENCE.match(second.reference)
    assert _number(second.reference) == _number(first.reference) + 1


@pytest.mark.django_db
def test_a_deleted_incidents_reference_is_never_issued_again(practice_user, product):
    latest = IncidentFactory(reporter=practice_user, product=product)
    deleted_reference = latest.reference
    # Nothing in the product deletes incidents; even removed by hand with its history, its number stays used.
    latest.events.all().delete()
    latest.delete()

    following = IncidentFactory(reporter=practice_user, product=product)

    assert following.reference != deleted_reference
    assert _number(following.reference) == _number(deleted_reference) + 1


def test_an_incident_with_history_cannot_be_deleted(incident):
    with pytest.raises(ProtectedError):
        incident.delete()

    assert Incident.objects.filter(pk=incident.pk).exists()


def test_agents_cannot_delete_incidents_in_admin(client, agent, incident):
    client.force_login(agent)

    response = client.post(f"/admin/incidents/incident/{incident.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_users_affected_must_be_at_least_one(user_client, incident_data):
    incident_data["users_affected"] = "0"

    response = user_client.post("/incidents/new/", incident_data)

    assert response.status_code == 400
    assert "greater than or equal to 1" in response.content.decode()
    assert not Incident.objects.exists()


def test_a_submission_cannot_choose_its_practice_reporter_or_status(
    user_client, practice_user, outsider, incident_data
):
    incident_data.update(
        practice=outsider.practice_id, reporter=outsider.pk, status="closed", reference="PC999999"
    )

    response = user_client.post("/incidents/new/", incident_data)

    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.practice, incident.reporter, incident.status) == (
        practice_user.practice,
        practice_user,
        "logged",
    )
    assert incident.reference != "PC999999"


def test_when_email_cannot_be_sent_the_incident_is_still_logged_once(
    user_client, incident_data, settings, django_capture_on_commit_callbacks, caplog
):
    # A mail server that refuses connections: nothing listens on port 9 of this machine.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post("/incidents/new/", incident_data)

    assert response.status_code == 302
    incident = Incident.objects.get()
    assert response.url == incident.get_absolute_url()
    assert "send_incident_logged_email" in caplog.text


def test_an_apostrophe_in_the_summary_is_not_escaped_in_the_email_subject(
    user_client, incident_data, django_capture_on_commit_callbacks, mailoutbox
):
    incident_data["summary"] = "Printer won't print & jams"

    with django_capture_on_commit_callbacks(execute=True):
        user_client.post("/incidents/new/", incident_data)

    assert mailoutbox[0].subject.endswith("logged: Printer won't print & jams")


def test_the_form_shows_each_products_current_version(user_client, product):
    page = user_client.get("/incidents/new/").content.decode()

    assert f"{product.name} (current version {product.current_version})" in page


@pytest.mark.parametrize(("version", "answer"), [("5.4.2", "yes"), ("5.3.0", "no"), ("", "unknown")])
def test_a_stated_version_decides_whether_it_is_the_current_one(user_client, incident_data, version, answer):
    incident_data.update(version=version, on_current_version="unknown")

    user_client.post("/incidents/new/", incident_data)

    assert Incident.objects.get().on_current_version == answer


def test_the_error_summary_names_each_field_and_links_to_it(user_client, incident_data):
    del incident_data["severity"]
    incident_data["summary"] = ""

    page = user_client.post("/incidents/new/", incident_data).content.decode()

    assert 'id="error-summary"' in page
    assert 'href="#id_severity_0">Severity: This field is required.</a>' in page
    assert 'href="#id_summary">Summary: This field is required.</a>' in page


PNG = png()


def test_screenshots_attached_when_logging_are_kept_with_the_logged_entry(user_client, incident_data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    incident_data["files"] = [
        SimpleUploadedFile("screen.png", PNG, content_type="image/png"),
        SimpleUploadedFile("error.log", b"Spooler error 0x0002\n", content_type="text/plain"),
    ]

    response = user_client.post("/incidents/new/", incident_data)

    assert response.status_code == 302
    incident = Incident.objects.get()
    logged = incident.events.get(kind=TimelineEvent.Kind.LOGGED)
    assert sorted(a.original_name for a in logged.attachments.all()) == ["error.log", "screen.png"]
    page = user_client.get(response.url).content.decode()
    assert "screen.png" in page and "error.log" in page


def test_a_disguised_program_refuses_the_whole_submission(user_client, incident_data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    incident_data["files"] = [SimpleUploadedFile("screen.png", b"MZ\x90\x00" + b"\x00" * 64)]

    response = user_client.post("/incidents/new/", incident_data)

    assert response.status_code == 400
    assert "screen.png is not a file we accept" in response.content.decode()
    assert not Incident.objects.exists()


@pytest.mark.parametrize("earlier", [0, 5])
def test_logging_takes_the_same_queries_however_many_incidents_there_are(
    user_client, incident_data, practice_user, product, django_assert_num_queries, earlier
):
    IncidentFactory.create_batch(earlier, reporter=practice_user, product=product)
    # The first incident caches the session and creates the reference counter; the second is counted.
    user_client.post("/incidents/new/", incident_data)

    with django_assert_num_queries(LOG_QUERIES):
        response = user_client.post("/incidents/new/", incident_data)

    assert response.status_code == 302
    assert Incident.objects.count() == earlier + 2
