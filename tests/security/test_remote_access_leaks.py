"""Leaks of the remote-access details.

The flaw guarded against: the connection details a practice gives for remote support (an ID and
passcode to its clinical system, encrypted at rest and readable only by staff holding a dedicated
permission, each reading recorded) escaping by another way: into log records (SQL, request and task
logs at DEBUG), error reports emailed to administrators, any email, admin pages for staff without the
permission (changelist, change page, timeline, history, action pages, search and filters used as an
oracle), the portal pages the practice and its colleagues see after logging, or the database in plain
text, anywhere.

tests/incidents/test_remote_access.py proves the permission, the recorded reading and the first
emails; this file widens the search to everywhere else the details could go.
"""

import logging
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from escalation.models import EscalationLevel
from escalation.services import incident_escalate
from incidents import services, views
from incidents.models import Incident, TimelineEvent
from tests.conftest import login
from tests.security.payloads import log_form_data, standard_ladder

SECRET = "TeamViewer ID 734-118-206, passcode Marigold!77"
# Any of these in a page, an email, a log or a table is a leak, whole or in part.
FRAGMENTS = [SECRET, "Marigold", "734-118-206", "734118206"]


def leaked(text):
    return [fragment for fragment in FRAGMENTS if fragment in str(text)]


def log_with_details(client, practice, product, **changes):
    details = {
        "summary": "Cannot open patient records",
        "severity": "1",
        "will_telephone": "on",
        "remote_access_allowed": "on",
        "remote_access_details": SECRET,
        "remote_access_constraints": "Not during morning surgery",
    }
    return client.post("/incidents/new/", log_form_data(practice, product, **{**details, **changes}))


@pytest.fixture
def logged(user_client, practice, product, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = log_with_details(user_client, practice, product)
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.remote_access_details == SECRET
    return incident


@pytest.fixture
def reader(team_leader):
    """Team leaders hold the permission to read the details."""
    assert team_leader.has_perm("incidents.view_remote_access")
    return team_leader


@pytest.fixture
def read(reader, logged):
    """The details have been read once, properly, by a permitted team leader."""
    page = login(Client(), reader).post(f"/admin/incidents/incident/{logged.pk}/remote-access/")
    assert SECRET in page.content.decode()
    return page


# --- Logs -----------------------------------------------------------------------------------------------


# LOG_LEVEL=DEBUG sets the root logger; SQL with its parameters is what someone debugging turns on next.
DEBUG_LOGGERS = [
    None, "django.request", "django.security", "django.db.backends", "axes", "celery",
    "accounts", "incidents", "escalation", "surveys", "servicedesk",
]  # fmt: skip


@pytest.fixture
def every_log_record(caplog):
    """Every log record at DEBUG, SQL statements with their parameters included."""
    for name in DEBUG_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True
    try:
        yield caplog
    finally:
        connection.force_debug_cursor = False


def _record_text(record):
    return logging.Formatter("%(name)s %(levelname)s %(message)s").format(record) + repr(record.__dict__)


def test_no_log_record_carries_the_details(
    every_log_record, user_client, practice, product, agent, reader, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        refused = log_with_details(user_client, practice, product, summary="")  # a 400, logged
        logged = log_with_details(user_client, practice, product)
    incident = Incident.objects.get()
    staff = login(Client(), agent)
    for url in ["/admin/incidents/incident/", f"/admin/incidents/incident/{incident.pk}/change/",
                f"/admin/incidents/incident/{incident.pk}/history/",
                f"/admin/incidents/incident/{incident.pk}/remote-access/"]:  # fmt: skip
        staff.get(url)
    login(Client(), reader).post(f"/admin/incidents/incident/{incident.pk}/remote-access/")
    user_client.get(incident.get_absolute_url())

    records = every_log_record.records
    assert (refused.status_code, logged.status_code) == (400, 302)
    assert any("INSERT INTO" in r.getMessage() and "incidents_incident" in r.getMessage() for r in records)
    assert any(r.name == "django.request" and r.levelno == logging.WARNING for r in records)
    assert [(r.name, leaked(_record_text(r))) for r in records if leaked(_record_text(r))] == []


def test_debug_logging_of_django_itself_does_not_copy_the_details_read(caplog, logged, reader):
    caplog.set_level(logging.DEBUG, logger="django")

    page = login(Client(), reader).post(f"/admin/incidents/incident/{logged.pk}/remote-access/")

    assert SECRET in page.content.decode()
    assert [(r.name, leaked(_record_text(r))) for r in caplog.records if leaked(_record_text(r))] == []


def test_an_error_report_emailed_to_administrators_hides_the_details(
    client, practice_user, practice, product, settings, mailoutbox, monkeypatch, caplog
):
    """A crash after the form has been accepted, with the details in the request: the report Django
    emails to ADMINS, and the HTML version of it, show the field masked, never its value, even in the
    local variables of the view's frames."""

    def crash(incident, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(views, "incident_log", crash)  # an unexpected failure at the worst moment
    settings.ADMINS = [("Operations", "ops@servicedesk.example")]
    client.raise_request_exception = False
    login(client, practice_user)

    response = log_with_details(client, practice, product)

    assert response.status_code == 500
    posted = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert posted["remote_access_details"] == SafeExceptionReporterFilter.cleansed_substitute
    assert posted["summary"] == "Cannot open patient records"  # the rest stays readable
    (report,) = [m for m in mailoutbox if m.to == ["ops@servicedesk.example"]]
    assert "RuntimeError" in report.body and "remote_access_details" in report.body
    assert leaked(report.subject + report.body) == []
    (error,) = [r for r in caplog.records if r.name == "django.request" and r.exc_info]
    html = ExceptionReporter(error.request, *error.exc_info).get_traceback_html()
    assert "incident_new" in html and "remote_access_details" in html
    assert leaked(html) == []


# --- Emails ---------------------------------------------------------------------------------------------


def test_no_email_of_an_incidents_whole_life_carries_the_details(
    logged, practice_user, agent, team_leader, mailoutbox, django_capture_on_commit_callbacks
):
    """Every kind of incident email: the severity 1 alert, status changes, notes both ways, severity,
    progress, escalation, a question, a resolution and its reminder, a rejection, a closure."""
    standard_ladder()
    EscalationLevel.objects.get(position=1).contacts.add(team_leader)
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_verify(logged, actor=agent, note="Checked")
        services.incident_start_investigation(logged, actor=agent)
        services.incident_change_severity(logged, actor=agent, severity=2, reason="A workaround exists")
        services.incident_add_note(logged, actor=agent, text="We will connect at 14:00.")
        services.incident_add_note(logged, actor=practice_user, text="Fine by us.")
        services.incident_request_progress(logged, actor=practice_user)
        incident_escalate(logged, actor=practice_user, reason="Urgent for us")
        services.incident_await_customer(logged, actor=agent, question="Which PC?")
        services.incident_start_investigation(logged, actor=agent)
        services.incident_resolve(logged, actor=agent, resolution="Restarted the service")
    with django_capture_on_commit_callbacks(execute=True):  # sent only while it is still resolved
        services.send_resolution_reminders(now=timezone.now() + timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_reject(logged, actor=practice_user, reason="Still broken")
        services.incident_close_not_relevant(logged, actor=practice_user, reason="Working now")

    subjects = " ".join(m.subject for m in mailoutbox)
    for expected in ["logged", "SEVERITY 1", "Escalated", "Reminder", "Reopened", "Closed by the practice"]:
        assert expected in subjects
    for message in mailoutbox:
        parts = [message.subject, message.body, *(body for body, _ in message.alternatives)]
        assert leaked("\n".join(parts)) == [], message.subject


# --- Admin ------------------------------------------------------------------------------------------------


def admin_pages(incident):
    base = f"/admin/incidents/incident/{incident.pk}"
    return [
        "/admin/incidents/incident/",
        f"{base}/change/",
        f"{base}/history/",
        *(f"{base}/act/{action}/" for action in ["note", "change_severity", "assign", "escalate"]),
        "/admin/",
    ]


@pytest.mark.parametrize("who", ["agent without the permission", "team leader with it"])
def test_admin_pages_never_show_the_details(logged, read, agent, reader, who):
    """After a reading, the timeline records it; no page shows the details but the reading page."""
    staff = login(Client(), agent if who.startswith("agent") else reader)

    for url in admin_pages(logged):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert leaked(response.content.decode()) == [], url
    change_page = staff.get(f"/admin/incidents/incident/{logged.pk}/change/").content.decode()
    assert "read the remote-access details" in change_page  # the reading is on the timeline


def test_staff_without_the_permission_cannot_open_the_reading_page(logged, agent):
    staff = login(Client(), agent)

    assert staff.get(f"/admin/incidents/incident/{logged.pk}/remote-access/").status_code == 403
    assert (
        "remote-access/" not in staff.get(f"/admin/incidents/incident/{logged.pk}/change/").content.decode()
    )


def test_the_reading_page_is_never_cached(read):
    assert "no-store" in read["Cache-Control"]


@pytest.mark.parametrize(
    "query",
    ["q={guess}", "remote_access_details__icontains={guess}", "remote_access_details={guess}"],
    ids=["search", "filter-contains", "filter-exact"],
)
def test_admin_search_and_filters_cannot_be_used_to_guess_the_details(logged, reader, query):
    """The right guess and a wrong one get the same answer, so nobody can test guesses against it."""
    staff = login(Client(), reader)

    right = staff.get("/admin/incidents/incident/?" + query.format(guess="Marigold"))
    wrong = staff.get("/admin/incidents/incident/?" + query.format(guess="Sunflower"))

    assert right.status_code == wrong.status_code
    assert (logged.reference in right.content.decode()) == (logged.reference in wrong.content.decode())
    if right.status_code == 200:
        assert logged.reference not in right.content.decode()


# --- The portal -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["practice_user", "colleague"])
def test_the_practice_never_sees_the_details_again_after_logging(request, logged, who):
    member = login(Client(), request.getfixturevalue(who))

    for url in [logged.get_absolute_url(), "/incidents/", "/incidents/new/"]:
        response = member.get(url)
        assert response.status_code == 200, url
        assert leaked(response.content.decode()) == [], url
    assert "connection details given" in member.get(logged.get_absolute_url()).content.decode()
    # Searching the practice's list for a part of the details finds nothing: it is no oracle either.
    assert logged.reference not in member.get("/incidents/?q=Marigold").content.decode()
    assert logged.reference in member.get("/incidents/?q=patient").content.decode()


def test_the_escalation_queue_does_not_show_the_details(logged, reader, agent):
    standard_ladder()
    EscalationLevel.objects.get(position=1).contacts.add(reader)
    incident_escalate(logged, actor=agent, reason="Practice chasing")

    page = login(Client(), reader).get("/escalations/").content.decode()

    assert logged.reference in page
    assert leaked(page) == []


# --- At rest ------------------------------------------------------------------------------------------------


def test_the_column_holds_ciphertext_under_the_configured_keys(logged):
    with connection.cursor() as cursor:
        cursor.execute("SELECT remote_access_details FROM incidents_incident WHERE id = %s", [logged.pk])
        (stored,) = cursor.fetchone()

    assert leaked(stored) == []
    keys = MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS])
    assert keys.decrypt(stored.encode()).decode() == SECRET


def test_no_table_holds_the_details_in_plain_text(logged, read, agent, user_client):
    """After logging, reading, admin visits and portal visits: every text cell of every table, and
    every session's decoded contents, is searched for the details."""
    login(Client(), agent).get(f"/admin/incidents/incident/{logged.pk}/change/")
    user_client.get(logged.get_absolute_url())
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our tables
            found += [(table, row) for row in cursor.fetchall() if leaked(" ".join(map(str, row)))]
    for session in Session.objects.all():
        if leaked(SessionStore().decode(session.session_data)):
            found.append(("session", session.pk))

    assert found == []
    assert TimelineEvent.objects.filter(kind=TimelineEvent.Kind.REMOTE_ACCESS_VIEWED).count() == 1
