"""Stored cross-site scripting.

The flaw guarded against: text that one person typed (a practice user in the portal, an agent in admin,
an administrator configuring products, sites, the ladder or the survey) reaching another person's
browser or mail client as markup, so that a `<script>` runs or an `<img onerror=...>` fires, instead of
being shown as the characters typed.

Every free-text field of the project's models is either filled with a payload that names it, through
the page where people really type it, or listed in EXCLUDED with the reason it cannot hold markup. The
payloads must then appear escaped, and never as markup, on the practice's incident list and incident
pages, the admin changelists and change pages, /escalations/, /contact/, the survey page and its
results, and in the HTML part of every email (the plain-text part may quote them raw: it is not HTML).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from smtplib import SMTPRecipientsRefused

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.test import Client
from django.utils import timezone

from accounts.models import AccountRequest, Contract, SupportCalendar, User
from escalation.models import EscalationLevel
from inbound.intake import ingest
from inbound.models import IntakeHealth, Outcome, Source
from incidents import services
from incidents.forms import IncidentAdminForm, IncidentForm
from incidents.models import CannedReply, Incident, KnownIssue, Release, SeverityWording
from servicedesk.models import PendingTask
from surveys.models import Invitation, Question, SurveyRound
from surveys.services import send_invitation
from tests.factories import IncidentFactory
from tests.security.payloads import (
    PNG,
    XSS,
    XSS_EMAILS,
    XSS_FILE_NAME,
    assert_no_injected_markup,
    assert_shown_as_text,
    standard_ladder,
    xss,
)

# The project's own apps, those whose code is in the repository (new ones included), not libraries'.
PROJECT_APPS = [
    app.label
    for app in apps.get_app_configs()
    if Path(app.path).is_relative_to(settings.BASE_DIR) and ".venv" not in Path(app.path).parts
]

# The Incident fields a practice types into the log form, each with its own payload.
INCIDENT_TEXT_FIELDS = [
    name
    for name in IncidentForm.Meta.fields
    if isinstance(Incident._meta.get_field(name), models.CharField | models.TextField)
    and not Incident._meta.get_field(name).choices
    and name != "contact_number"  # see EXCLUDED
]


def _limit(label):
    app_model, _, name = label.rpartition(".")
    return apps.get_model(app_model)._meta.get_field(name).max_length


# One payload per place where text is typed; the tag says where, so a failure names the field.
P = {
    **{
        f"Incident.{name}": xss(f"Incident.{name}", _limit(f"incidents.Incident.{name}"))
        for name in INCIDENT_TEXT_FIELDS
    },
    "Practice.name": xss("Practice.name"),
    "Site.name": xss("Site.name"),
    "Contract.name": xss("Contract.name"),
    "SupportCalendar.name": xss("SupportCalendar.name"),
    "SeverityWording.name": xss("SeverityWording.name"),
    "SeverityWording.description": xss("SeverityWording.description"),
    "Product.name": xss("Product.name", _limit("incidents.Product.name")),
    "Product.current_version": xss("Product.current_version", _limit("incidents.Product.current_version")),
    "Release.version": xss("Release.version", _limit("incidents.Release.version")),
    "CannedReply.title": xss("CannedReply.title"),
    "KnownIssue.title": xss("KnownIssue.title"),
    "KnownIssue.symptoms": xss("KnownIssue.symptoms"),
    "KnownIssue.versions_affected": xss("KnownIssue.versions_affected"),
    "KnownIssue.workaround": xss("KnownIssue.workaround"),
    "KnownIssueUpdate.text": xss("KnownIssueUpdate.text"),
    "CannedReply.text": xss("CannedReply.text"),
    "EscalationLevel.role_name": xss(
        "EscalationLevel.role_name", _limit("escalation.EscalationLevel.role_name")
    ),
    "User.full_name": xss("User.full_name"),  # the practice user
    "agent.full_name": xss("agent.full_name"),
    "leader.full_name": xss("leader.full_name"),
    "AccountRequest.full_name": xss("AccountRequest.full_name"),
    "AccountRequest.job_role": xss("AccountRequest.job_role", _limit("accounts.AccountRequest.job_role")),
    "AccountRequest.rejection_reason": xss("AccountRequest.rejection_reason"),
    "Question.text": xss("Question.text"),
    "Question.help_text": xss("Question.help_text"),
    "Q.label": xss("Q.label", _limit("surveys.Question.short_label")),
    "Question.text.comments": xss("Question.text.comments"),
    "Answer.text": xss("Answer.text"),
    "note.verify": xss("note.verify"),
    "note.desk.public": xss("note.desk.public"),
    "note.desk.internal": xss("note.desk.internal"),
    "note.practice": xss("note.practice"),
    "reason.severity": xss("reason.severity"),
    "reason.escalate": xss("reason.escalate"),
    "reason.reject": xss("reason.reject"),
    "reason.close": xss("reason.close"),
    "question.await_customer": xss("question.await_customer"),
    "workaround": xss("workaround"),
    "resolution": xss("resolution"),
    "confirmed_by": xss("confirmed_by", 150),
    "attachment.name": XSS_FILE_NAME,
    "email.rejected": XSS_EMAILS[0],
    "email.approved": XSS_EMAILS[1],
    "InboundMessage.subject": xss("InboundMessage.subject", _limit("inbound.InboundMessage.subject")),
    "InboundMessage.message_id": xss("InboundMessage.message_id").replace('"', "'"),
    # A file name: no slash (the name after the last one is kept) and no double quote (it ends the name).
    "InboundMessage.reason": "<img src=x onerror=alert('InboundMessage.reason')><svg onload=alert(1)>",
    "IntakeHealth.last_error": xss("IntakeHealth.last_error"),
    # What the outbox keeps of a mail server's refusal quotes the recipient's address.
    "PendingTask.last_error": repr(SMTPRecipientsRefused({XSS_EMAILS[1]: (550, b"5.1.1 No such user")})),
}
ALL_PAYLOADS = list(P.values())

# model field -> the payloads that reach it (the field's own, or what the system copies into it)
COVERED = {
    **{f"incidents.Incident.{name}": [f"Incident.{name}"] for name in INCIDENT_TEXT_FIELDS},
    "incidents.Incident.workaround": ["workaround"],
    "incidents.Incident.resolution": ["resolution"],
    "incidents.TimelineEvent.text": [
        "note.verify", "note.desk.public", "note.desk.internal", "note.practice", "reason.severity",
        "reason.escalate", "reason.reject", "reason.close", "question.await_customer", "resolution",
    ],
    "incidents.TimelineEvent.old_value": ["agent.full_name"],  # re-assigned; a de-escalation too
    "incidents.TimelineEvent.new_value": ["agent.full_name", "leader.full_name", "EscalationLevel.role_name"],
    "incidents.Attachment.original_name": ["attachment.name"],
    "incidents.Product.name": ["Product.name"],
    "incidents.Product.current_version": ["Product.current_version"],
    "incidents.Release.version": ["Release.version"],
    "incidents.CannedReply.title": ["CannedReply.title"],
    "incidents.KnownIssue.title": ["KnownIssue.title"],
    "incidents.KnownIssue.symptoms": ["KnownIssue.symptoms"],
    "incidents.KnownIssue.versions_affected": ["KnownIssue.versions_affected"],
    "incidents.KnownIssue.workaround": ["KnownIssue.workaround"],
    "incidents.KnownIssueUpdate.text": ["KnownIssueUpdate.text"],
    "incidents.CannedReply.text": ["CannedReply.text"],
    "accounts.Practice.name": ["Practice.name"],
    "accounts.Site.name": ["Site.name"],
    "accounts.Contract.name": ["Contract.name"],
    "accounts.SupportCalendar.name": ["SupportCalendar.name"],
    "incidents.SeverityWording.name": ["SeverityWording.name"],
    "incidents.SeverityWording.description": ["SeverityWording.description"],
    "accounts.User.full_name": ["User.full_name", "agent.full_name", "leader.full_name"],
    "accounts.User.email": ["email.approved"],
    "accounts.User.job_role": ["AccountRequest.job_role"],  # copied from the approved request
    "accounts.AccountRequest.full_name": ["AccountRequest.full_name"],
    "accounts.AccountRequest.email": ["email.rejected", "email.approved"],
    "accounts.AccountRequest.job_role": ["AccountRequest.job_role"],
    "accounts.AccountRequest.rejection_reason": ["AccountRequest.rejection_reason"],
    "escalation.EscalationLevel.role_name": ["EscalationLevel.role_name"],
    "surveys.Question.text": ["Question.text", "Question.text.comments"],
    "surveys.Question.help_text": ["Question.help_text"],
    "surveys.Question.short_label": ["Q.label"],
    "surveys.Answer.question_text": ["Question.text.comments"],
    "surveys.Answer.text": ["Answer.text"],
    "servicedesk.PendingTask.last_error": ["PendingTask.last_error"],
    "inbound.InboundMessage.sender": ["email.approved"],
    "inbound.InboundMessage.subject": ["InboundMessage.subject"],
    "inbound.InboundMessage.message_id": ["InboundMessage.message_id"],
    "inbound.InboundMessage.reason": ["InboundMessage.reason"],
    "inbound.IntakeHealth.last_error": ["IntakeHealth.last_error"],
}  # fmt: skip

# Text fields that cannot hold markup, and why. Those refused by a validator are proved below.
REFUSED_BY_VALIDATOR = {
    "incidents.Incident.contact_number": "a telephone number: digits, spaces, + ( ) - only",
    "accounts.User.phone": "a telephone number: digits, spaces, + ( ) - only",
    "accounts.AccountRequest.phone": "a telephone number: digits, spaces, + ( ) - only",
    "accounts.Practice.practice_id": "an ODS code: 3 to 10 capital letters and digits",
    "knowledge.Article.slug": "a slug: letters, digits, hyphens and underscores only",
}
EXCLUDED = {
    **REFUSED_BY_VALIDATOR,
    "accounts.User.password": "a password hash, never shown",
    "incidents.Incident.reference": "issued by the system from INCIDENT_REFERENCE_PREFIX and a number",
    "incidents.ReferenceCounter.name": "the reference prefix, from settings",
    "incidents.Attachment.content_type": "chosen by the system from the file's bytes, from a fixed list",
    "surveys.Invitation.token": "generated by secrets.token_urlsafe",
    "servicedesk.PendingTask.task_name": "a Celery task's dotted name, from the code",
    "inbound.InboundMessage.sha256": "a hash, in hexadecimal",
    "inbound.InboundMessage.held_match": "digits, masked, with at most three non-letters between groups",
    "inbound.IntakeHealth.lease_owner": "generated by the poller that holds the lease",
    "accounts.Practice.remote_access_details": "never shown: the portal says only whether "
    "they were given, and no admin form or list has them (editable=False)",
    # Help articles: typed in admin with a payload, and checked on every page that shows them, by
    # tests/knowledge/test_xss.py (the article's body is Markdown, rendered and sanitised).
    "knowledge.Article.title": "covered by tests/knowledge/test_xss.py",
    "knowledge.Article.body": "covered by tests/knowledge/test_xss.py",
    "knowledge.ArticleRevision.title": "the article's title, copied; covered by tests/knowledge/test_xss.py",
    "knowledge.ArticleRevision.body": "a copy of the article's body; covered by tests/knowledge/test_xss.py",
}


def project_text_fields():
    """Every CharField and TextField (EmailField, encrypted text...) of the project's models, except
    those limited to choices."""
    for app in PROJECT_APPS:
        for model in apps.get_app_config(app).get_models():
            for model_field in model._meta.get_fields():
                if isinstance(model_field, models.CharField | models.TextField) and not model_field.choices:
                    yield f"{model._meta.label}.{model_field.name}"


def test_every_free_text_field_is_covered_or_excluded_with_a_reason():
    """A text field added later fails here until it is given a payload (or a reason it needs none)."""
    found = set(project_text_fields())

    assert not set(COVERED) & set(EXCLUDED)
    assert sorted(found - set(COVERED) - set(EXCLUDED)) == [], "text fields without an XSS payload"
    assert sorted((set(COVERED) | set(EXCLUDED)) - found) == [], "listed fields that no longer exist"


@pytest.mark.parametrize("label", sorted(REFUSED_BY_VALIDATOR))
def test_fields_excluded_for_their_validator_refuse_markup(label):
    app_model, _, name = label.rpartition(".")
    model_field = apps.get_model(app_model)._meta.get_field(name)

    with pytest.raises(ValidationError):
        model_field.clean(XSS[: model_field.max_length], None)


# --- The world: every payload typed where people type it -------------------------------------------


@dataclass
class World:
    incidents: dict = field(default_factory=dict)
    clients: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)
    open_invitation: Invitation | None = None
    held: object = None
    known_issue: object = None
    emails: list = field(default_factory=list)


def _ok(response, status=302):
    assert response.status_code == status, response.content.decode()[:3000]
    return response


def _configure(practice, product, agent, team_leader, practice_user):
    """What administrators type in admin: names of practices, sites, products, the ladder, questions."""
    Contract.objects.filter(pk=practice.contract_id).update(name=P["Contract.name"])
    practice.name = P["Practice.name"]
    practice.save()
    practice.sites.filter(is_main=True).update(name=P["Site.name"])
    SupportCalendar.objects.create(name=P["SupportCalendar.name"])
    # Kept by administrators; inserted into the desk's forms filled in with the practice's name.
    CannedReply.objects.create(title=P["CannedReply.title"], text=P["CannedReply.text"] + " {practice}")
    SeverityWording.objects.create(
        contract_id=practice.contract_id,
        severity=2,
        name=P["SeverityWording.name"],
        description=P["SeverityWording.description"],
    )
    product.name, product.current_version = P["Product.name"], P["Product.current_version"]
    product.save()
    for user, tag in [(practice_user, "User.full_name"), (agent, "agent.full_name"),
                      (team_leader, "leader.full_name")]:  # fmt: skip
        user.full_name = P[tag]
        user.save()
    standard_ladder()
    first = EscalationLevel.objects.get(position=1)
    first.role_name = P["EscalationLevel.role_name"]
    first.save()
    first.contacts.add(team_leader)
    Question.objects.update(active=False)
    Question.objects.create(
        text=P["Question.text"],
        short_label=P["Q.label"],
        help_text=P["Question.help_text"],
        kind=Question.Kind.SCORE,
        position=1,
    )
    Question.objects.create(
        text=P["Question.text.comments"], kind=Question.Kind.TEXT, position=2, required=False
    )


def _log_incident(client, practice, product):
    """The practice logs a severity 1 incident with a payload in every field it can type, and a file."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        **{name: P[f"Incident.{name}"] for name in INCIDENT_TEXT_FIELDS},
        "contact_number": "01632 960555",
        "site": practice.sites.get(is_main=True).pk,
        "severity": "1",
        "will_telephone": "on",
        "urgency": "stopped",
        "product": product.pk,
        "on_current_version": "unknown",
        "worked_before": "yes",
        "more_than_one_pc": "yes",
        "repeatable": "yes",
        "users_affected": "3",
        "sites_affected": "main",
        "remote_access_allowed": "on",
        "files": [SimpleUploadedFile(XSS_FILE_NAME, PNG, content_type="image/png")],
    }
    _ok(client.post("/incidents/new/", data))
    return Incident.objects.get(summary=P["Incident.summary"])


def _admin_action(agent_client, incident, action, data):
    return _ok(agent_client.post(f"/admin/incidents/incident/{incident.pk}/act/{action}/", data))


def _walk_incidents(world, practice_client, agent_client, people, product):
    """Five incidents, left in the states whose pages show what the desk and the practice wrote."""
    practice_user, agent, team_leader = people
    act = _admin_action
    a = world.incidents["awaiting"]
    act(agent_client, a, "verify", {"note": P["note.verify"]})
    act(agent_client, a, "start_investigation", {"note": ""})
    act(agent_client, a, "change_severity", {"severity": "2", "reason": P["reason.severity"]})
    act(agent_client, a, "assign", {"assignee": agent.pk})
    act(agent_client, a, "assign", {"assignee": team_leader.pk})  # the agent's name is now the old value
    act(agent_client, a, "note", {"text": P["note.desk.public"], "public": "on"})
    act(agent_client, a, "note", {"text": P["note.desk.internal"]})
    _ok(practice_client.post(f"/incidents/{a.reference}/notes/", {"text": P["note.practice"]}))
    _ok(
        practice_client.post(f"/incidents/{a.reference}/escalate/", {"escalate-reason": P["reason.escalate"]})
    )
    act(agent_client, a, "await_customer", {"question": P["question.await_customer"]})

    def investigating(summary):
        incident = IncidentFactory(reporter=practice_user, product=product, summary=summary)
        incident = services.incident_verify(incident, actor=agent)
        return services.incident_start_investigation(incident, actor=agent)

    fix = world.incidents["fix_scheduled"] = investigating("Fix scheduled")
    release = Release.objects.create(
        product=product, version=P["Release.version"], target_date=date(2031, 3, 1)
    )
    act(agent_client, fix, "schedule_fix", {"release": release.pk, "workaround": P["workaround"]})

    resolved = world.incidents["resolved"] = investigating("Resolved after a rejection")
    act(agent_client, resolved, "resolve", {"resolution": P["resolution"]})
    _ok(
        practice_client.post(
            f"/incidents/{resolved.reference}/reject/", {"reject-reason": P["reason.reject"]}
        )
    )
    act(agent_client, resolved, "resolve", {"resolution": P["resolution"]})
    services.send_resolution_reminders(now=timezone.now() + timedelta(days=30))  # the reminder email

    closed = world.incidents["closed_by_practice"] = IncidentFactory(
        reporter=practice_user, product=product, summary="Closed by the practice"
    )
    _ok(practice_client.post(f"/incidents/{closed.reference}/close/", {"close-reason": P["reason.close"]}))

    by_phone = world.incidents["confirmed_by_phone"] = investigating("Confirmed by telephone")
    services.incident_resolve(by_phone, actor=agent, resolution="Restarted the spooler.")
    act(agent_client, by_phone, "confirm_by_phone", {"confirmed_by": P["confirmed_by"]})


def _known_issue(world, agent_client, product):
    """The desk declares a severe known issue with markup in all it types, posts an update and links the
    incident awaiting the practice to it (issue 19)."""
    fields = ("title", "symptoms", "versions_affected", "workaround")
    data = {name: P[f"KnownIssue.{name}"] for name in fields}
    _ok(
        agent_client.post(
            "/admin/incidents/knownissue/add/", {**data, "product": product.pk, "severity": "2"}
        )
    )
    world.known_issue = KnownIssue.objects.get(title=P["KnownIssue.title"])
    url = f"/admin/incidents/knownissue/{world.known_issue.pk}/act/"
    _ok(agent_client.post(f"{url}link/", {"reference": world.incidents["awaiting"].reference}))
    _ok(agent_client.post(f"{url}update/", {"text": P["KnownIssueUpdate.text"], "public": "on"}))


def _account_requests(world, agent_client, practice):
    """Two people ask for accounts with markup in everything they type; one is refused with a reason
    the agent typed, the other approved."""
    for email in XSS_EMAILS:
        data = {
            "practice_id": practice.practice_id,
            "full_name": P["AccountRequest.full_name"],
            "email": email,
            "phone": "01632 960777",
            "job_role": P["AccountRequest.job_role"],
        }
        _ok(Client().post("/accounts/register/", data))
    refused, approved = (AccountRequest.objects.get(email=email) for email in XSS_EMAILS)
    url = "/admin/accounts/accountrequest/"
    _ok(agent_client.post(f"{url}{refused.pk}/reject/", {"reason": P["AccountRequest.rejection_reason"]}))
    _ok(agent_client.post(url, {"action": "approve", "_selected_action": [approved.pk]}))
    world.requests = [refused, approved]


def _emails(world):
    """The approved requester (an address with markup) emails the desk: markup in the subject, the
    Message-ID and an attachment's name, which holds an NHS number, so the email is held with its reason.
    The IMAP server answers the poller with markup."""
    name = f"{P['InboundMessage.reason']} 943 476 5919.txt"
    raw = (
        f"From: {XSS_EMAILS[1]}\r\nTo: {settings.INBOUND_EMAIL_ADDRESS}\r\n"
        f"Subject: {P['InboundMessage.subject']}\r\n"
        f'Message-ID: <"{P["InboundMessage.message_id"]}"@riverside.example>\r\n'
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nThe log is attached.\r\n"
        f'--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename="{name}"\r\n\r\n'
        "a log line\r\n--b--\r\n"
    )
    world.held = ingest(raw.encode(), source=Source.PIPE)
    assert world.held.outcome == Outcome.HELD, world.held.reason
    now = timezone.now()
    IntakeHealth.objects.create(
        last_poll_started_at=now,
        last_poll_finished_at=now,
        last_error_at=now,
        last_error=P["IntakeHealth.last_error"],
    )


def _surveys(world, practice_user, colleague):
    """The practice user answers the survey with a comment; the colleague's invitation stays open."""
    survey_round = SurveyRound.objects.create(
        month=date(2026, 10, 1), round_date=date(2026, 11, 1), seed=1, population=2, eligible_count=2
    )
    answered = Invitation.objects.create(
        round=survey_round, customer=practice_user, incident=world.incidents["confirmed_by_phone"]
    )
    world.open_invitation = Invitation.objects.create(
        round=survey_round, customer=colleague, incident=world.incidents["closed_by_practice"]
    )
    for invitation in (answered, world.open_invitation):
        assert send_invitation(invitation.pk)
    score, comments = Question.objects.filter(active=True).order_by("position")
    answer = {f"question_{score.pk}": "2", f"question_{comments.pk}": P["Answer.text"]}
    _ok(Client().post(f"/surveys/{answered.token}/", answer))


@pytest.fixture
def world(
    practice, practice_user, colleague, agent, team_leader, product, django_capture_on_commit_callbacks,
    mailoutbox,
):  # fmt: skip
    _configure(practice, product, agent, team_leader, practice_user)
    world = World()
    world.clients = {"practice": Client(), "agent": Client(), "leader": Client(), "admin": Client()}
    world.clients["practice"].force_login(practice_user)
    world.clients["agent"].force_login(agent)
    world.clients["leader"].force_login(team_leader)
    world.clients["admin"].force_login(
        User.objects.create_superuser("root@servicedesk.example", "x", full_name="Root")
    )
    with django_capture_on_commit_callbacks(execute=True):
        world.incidents["awaiting"] = _log_incident(world.clients["practice"], practice, product)
        _walk_incidents(
            world,
            world.clients["practice"],
            world.clients["agent"],
            (practice_user, agent, team_leader),
            product,
        )
        _known_issue(world, world.clients["agent"], product)
        _account_requests(world, world.clients["agent"], practice)
        _surveys(world, practice_user, colleague)
        _emails(world)
    world.emails = list(mailoutbox)
    # A welcome email the mail server refused, kept in the outbox (servicedesk.outbox).
    PendingTask.objects.create(
        task_name="accounts.tasks.send_set_password_email", args=[1], last_error=P["PendingTask.last_error"]
    )
    return world


def html_of(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, f"{url}: {response.status_code}"
    return response.content.decode()


def tags(*names):
    return [P[name] for name in names]


def test_each_covered_field_really_holds_a_payload(world):
    """The world fills every covered field, so the pages below are checked with markup in each."""
    empty = []
    for label, sources in COVERED.items():
        app_model, _, name = label.rpartition(".")
        values = [str(getattr(row, name)) for row in apps.get_model(app_model).objects.all()]
        if not any(P[source] in value for source in sources for value in values):
            empty.append(label)
    assert empty == []


# --- The portal -----------------------------------------------------------------------------------


KNOWN_ISSUE_TAGS = [f"KnownIssue.{name}" for name in ("title", "symptoms", "versions_affected", "workaround")]


def test_the_known_issue_pages_and_banner_show_the_text_escaped(world):
    practice, agent = world.clients["practice"], world.clients["agent"]
    known_issue = world.known_issue
    assert_shown_as_text(html_of(practice, "/incidents/"), tags("KnownIssue.title"), "banner")
    listing = html_of(practice, "/known-issues/")
    assert_shown_as_text(listing, tags("KnownIssue.title", "KnownIssue.versions_affected"), "known issues")
    detail = html_of(practice, f"/known-issues/{known_issue.pk}/")
    assert_shown_as_text(detail, tags(*KNOWN_ISSUE_TAGS, "KnownIssueUpdate.text"), "known issue")
    admin_page = html_of(agent, f"/admin/incidents/knownissue/{known_issue.pk}/change/")
    assert_shown_as_text(admin_page, tags(*KNOWN_ISSUE_TAGS, "KnownIssueUpdate.text"), "admin known issue")
    assert_shown_as_text(
        html_of(agent, "/admin/incidents/knownissue/"), tags("KnownIssue.title"), "admin known issues"
    )


def test_the_practice_incident_list_shows_the_text_escaped(world):
    page = html_of(world.clients["practice"], "/incidents/")

    assert_shown_as_text(
        page, tags("Incident.summary", "Practice.name", "Product.name", "User.full_name"), "list"
    )
    assert_no_injected_markup(page, ALL_PAYLOADS, "list")


DETAIL_PAYLOADS = {
    "awaiting": [
        *(f"Incident.{name}" for name in INCIDENT_TEXT_FIELDS if name != "remote_access_details"),
        "attachment.name", "Site.name", "Product.name", "Practice.name", "User.full_name", "agent.full_name",
        "note.verify", "reason.severity", "note.desk.public", "note.practice", "reason.escalate",
        "question.await_customer", "EscalationLevel.role_name",
    ],
    "fix_scheduled": ["workaround", "Release.version", "Product.name"],
    "resolved": ["resolution", "reason.reject"],
    "closed_by_practice": ["reason.close"],
    "confirmed_by_phone": ["confirmed_by"],
}  # fmt: skip


def test_the_incident_pages_show_what_everyone_wrote_escaped(world):
    """One incident in each state whose page shows what the desk wrote: question, fix, resolution..."""
    failures = []
    for state, expected in DETAIL_PAYLOADS.items():
        page = html_of(world.clients["practice"], world.incidents[state].get_absolute_url())
        try:
            assert_shown_as_text(page, tags(*expected), state)
            assert_no_injected_markup(page, ALL_PAYLOADS, state)
        except AssertionError as failure:
            failures.append(str(failure).splitlines()[0])
    assert failures == []


def test_the_survey_page_shows_the_questions_escaped(world):
    Question.objects.update(help_text="")  # the help text has its own test, below
    page = html_of(Client(), f"/surveys/{world.open_invitation.token}/")

    assert_shown_as_text(page, tags("Question.text", "Question.text.comments", "Product.name"), "survey")
    assert_no_injected_markup(page, tags("Question.text", "Question.text.comments", "Product.name"), "survey")


def test_the_survey_page_shows_a_questions_help_text_escaped(world):
    page = html_of(Client(), f"/surveys/{world.open_invitation.token}/")

    assert_shown_as_text(page, tags("Question.help_text"), "survey help text")


def test_the_help_pages_show_the_contracts_severity_words_escaped(world):
    for url in ("/help/", "/help/your-service/"):
        page = html_of(world.clients["practice"], url)
        assert_shown_as_text(page, tags("SeverityWording.name", "SeverityWording.description"), url)
        assert_no_injected_markup(page, ALL_PAYLOADS, url)


def test_the_contact_page_shows_the_ladder_escaped(world):
    page = html_of(Client(), "/contact/")

    assert_shown_as_text(page, tags("EscalationLevel.role_name", "leader.full_name"), "contact")


# --- Team leaders and managers ----------------------------------------------------------------------


def test_the_escalation_queue_shows_the_text_escaped(world):
    page = html_of(world.clients["leader"], "/escalations/")

    expected = tags("Incident.summary", "Practice.name", "EscalationLevel.role_name", "leader.full_name")
    assert_shown_as_text(page, expected, "escalations")
    assert_no_injected_markup(page, ALL_PAYLOADS, "escalations")


def test_the_survey_results_show_the_text_escaped(world):
    page = html_of(world.clients["leader"], "/surveys/results/")

    expected = tags(
        "Answer.text", "Question.text", "Q.label", "Question.text.comments", "Practice.name", "Product.name"
    )
    assert_shown_as_text(page, expected, "results")
    assert_no_injected_markup(page, ALL_PAYLOADS, "results")


def test_the_reports_show_the_text_escaped(world):
    """The ladder's level names head a table and label a chart's bars (SVG text), the products fill a list."""
    page = html_of(world.clients["leader"], "/reports/")

    assert_shown_as_text(page, tags("EscalationLevel.role_name", "Product.name"), "reports")
    assert_no_injected_markup(page, ALL_PAYLOADS, "reports")


# --- Admin ----------------------------------------------------------------------------------------

INCIDENT_ADMIN_FIELDS = [
    f"Incident.{name}" for name in IncidentAdminForm.Meta.fields if f"Incident.{name}" in P
]


def _admin_pages(world):
    """(name, client, url, payloads expected on the page)."""
    a = world.incidents
    refused, approved = world.requests
    approved_user = User.objects.get(email=approved.email)
    level = EscalationLevel.objects.get(position=1)
    question = Question.objects.get(text=P["Question.text"])
    attachment = a["awaiting"].attachments.get()
    a_held = world.held
    change = "/admin/incidents/incident/{}/change/"
    return [
        (
            "incident changelist",
            "admin",
            "/admin/incidents/incident/",
            ["Incident.summary", "Practice.name", "leader.full_name"],
        ),
        (
            "incident change page",
            "admin",
            change.format(a["awaiting"].pk),
            [
                *INCIDENT_ADMIN_FIELDS,
                "note.verify",
                "reason.severity",
                "note.desk.public",
                "note.desk.internal",
                "note.practice",
                "reason.escalate",
                "question.await_customer",
                "EscalationLevel.role_name",
                "agent.full_name",
                "leader.full_name",
                "attachment.name",
                "Practice.name",
                "Site.name",
                "Product.name",
                "User.full_name",
            ],
        ),
        (
            "note form, its canned replies filled in",
            "admin",
            f"/admin/incidents/incident/{a['awaiting'].pk}/act/note/",
            ["CannedReply.title", "CannedReply.text", "Practice.name"],
        ),
        (
            "canned replies",
            "admin",
            "/admin/incidents/cannedreply/",
            ["CannedReply.title", "CannedReply.text"],
        ),
        (
            "incident change page, fix",
            "admin",
            change.format(a["fix_scheduled"].pk),
            ["Release.version", "Product.name"],
        ),
        (
            "incident change page, resolved",
            "admin",
            change.format(a["resolved"].pk),
            ["resolution", "reason.reject"],
        ),
        (
            "incident change page, closed",
            "admin",
            change.format(a["closed_by_practice"].pk),
            ["reason.close"],
        ),
        (
            "incident change page, by phone",
            "admin",
            change.format(a["confirmed_by_phone"].pk),
            ["confirmed_by"],
        ),
        (
            "incident action page",
            "agent",
            f"/admin/incidents/incident/{a['awaiting'].pk}/act/note/",
            ["Incident.summary", "Practice.name"],
        ),
        (
            "purge attachment page",
            "agent",
            f"/admin/incidents/incident/{a['awaiting'].pk}/purge-attachment/{attachment.pk}/",
            ["attachment.name"],
        ),
        ("incident history", "admin", f"/admin/incidents/incident/{a['awaiting'].pk}/history/", []),
        (
            "product changelist",
            "admin",
            "/admin/incidents/product/",
            ["Product.name", "Product.current_version"],
        ),
        ("release changelist", "admin", "/admin/incidents/release/", ["Product.name", "Release.version"]),
        ("practice changelist", "admin", "/admin/accounts/practice/", ["Practice.name", "Contract.name"]),
        (
            "practice change page",
            "admin",
            f"/admin/accounts/practice/{a['awaiting'].practice_id}/change/",
            ["Practice.name", "Site.name", "Contract.name"],
        ),
        ("site changelist", "admin", "/admin/accounts/site/", ["Site.name", "Practice.name"]),
        ("contract changelist", "admin", "/admin/accounts/contract/", ["Contract.name"]),
        ("calendar changelist", "admin", "/admin/accounts/supportcalendar/", ["SupportCalendar.name"]),
        (
            "user changelist",
            "admin",
            "/admin/accounts/user/",
            ["User.full_name", "agent.full_name", "email.approved", "Practice.name"],
        ),
        (
            "user change page",
            "admin",
            f"/admin/accounts/user/{approved_user.pk}/change/",
            ["AccountRequest.full_name", "AccountRequest.job_role", "email.approved", "Practice.name"],
        ),
        (
            "account request changelist",
            "agent",
            "/admin/accounts/accountrequest/",
            [
                "AccountRequest.full_name",
                "AccountRequest.job_role",
                "email.rejected",
                "email.approved",
                "Practice.name",
            ],
        ),
        (
            "account request change page",
            "agent",
            f"/admin/accounts/accountrequest/{refused.pk}/change/",
            [
                "AccountRequest.full_name",
                "AccountRequest.job_role",
                "AccountRequest.rejection_reason",
                "email.rejected",
                "Practice.name",
            ],
        ),
        (
            "account request history",
            "agent",
            f"/admin/accounts/accountrequest/{refused.pk}/history/",
            ["AccountRequest.full_name", "email.rejected"],
        ),
        ("admin index, recent actions", "agent", "/admin/", ["AccountRequest.full_name", "email.rejected"]),
        (
            "escalation level changelist",
            "admin",
            "/admin/escalation/escalationlevel/",
            ["EscalationLevel.role_name"],
        ),
        (
            "escalation level change page",
            "admin",
            f"/admin/escalation/escalationlevel/{level.pk}/change/",
            ["EscalationLevel.role_name", "leader.full_name"],
        ),
        (
            "question changelist",
            "admin",
            "/admin/surveys/question/",
            ["Question.text", "Question.text.comments"],
        ),
        (
            "question change page",
            "admin",
            f"/admin/surveys/question/{question.pk}/change/",
            ["Question.text", "Question.help_text"],
        ),
        ("invitation changelist", "admin", "/admin/surveys/invitation/", ["User.full_name"]),
        ("outbox changelist", "admin", "/admin/servicedesk/pendingtask/", ["PendingTask.last_error"]),
        (
            "inbound messages",
            "agent",
            "/admin/inbound/inboundmessage/",
            ["email.approved", "InboundMessage.subject", "IntakeHealth.last_error"],
        ),
        (
            "held email",
            "agent",
            f"/admin/inbound/inboundmessage/{a_held.pk}/change/",
            [
                "email.approved",
                "InboundMessage.subject",
                "InboundMessage.message_id",
                "InboundMessage.reason",
            ],
        ),
        (
            "releasing a held email",
            "agent",
            f"/admin/inbound/inboundmessage/{a_held.pk}/decide/release/",
            ["email.approved", "InboundMessage.subject", "InboundMessage.reason"],
        ),
        (
            "intake health",
            "admin",
            f"/admin/inbound/intakehealth/{IntakeHealth.objects.get().pk}/change/",
            ["IntakeHealth.last_error"],
        ),
        (
            "outbox entry",
            "admin",
            f"/admin/servicedesk/pendingtask/{PendingTask.objects.get().pk}/change/",
            ["PendingTask.last_error"],
        ),
    ]


def test_admin_pages_show_the_text_escaped(world):
    """Every page is checked, and every page that fails is reported, in one pass over the world."""
    failures = []
    for name, who, url, expected in _admin_pages(world):
        page = html_of(world.clients[who], url)
        try:
            assert_shown_as_text(page, tags(*expected), name)
            assert_no_injected_markup(page, ALL_PAYLOADS, name)
        except AssertionError as failure:
            failures.append(str(failure).splitlines()[0])
    assert failures == []


def test_the_remote_access_page_shows_the_details_escaped(world, team_leader):
    incident = world.incidents["awaiting"]

    response = world.clients["leader"].post(f"/admin/incidents/incident/{incident.pk}/remote-access/")

    assert response.status_code == 200
    expected = tags("Incident.remote_access_details", "Incident.remote_access_constraints")
    assert_shown_as_text(response.content.decode(), expected, "remote access")


def test_an_admin_warning_quoting_an_email_address_escapes_it(world):
    """Approving a request twice warns with the requester's address, which may hold markup."""
    approved = world.requests[1]

    response = world.clients["agent"].post(
        "/admin/accounts/accountrequest/",
        {"action": "approve", "_selected_action": [approved.pk]},
        follow=True,
    )

    page = response.content.decode()
    assert "was already approved" in page
    assert_shown_as_text(page, tags("email.approved"), "admin warning")


# --- Emails ---------------------------------------------------------------------------------------

EMAILED = [
    "Incident.summary", "Incident.contact_name", "Practice.name", "Product.name", "User.full_name",
    "agent.full_name", "note.verify", "reason.severity", "note.desk.public", "note.practice",
    "reason.escalate", "question.await_customer", "EscalationLevel.role_name", "workaround",
    "Release.version", "resolution", "reason.reject", "reason.close", "confirmed_by",
    "AccountRequest.full_name", "AccountRequest.rejection_reason", "email.approved",
]  # fmt: skip


def test_every_emails_html_part_shows_the_text_escaped(world):
    assert len(world.emails) >= 15
    html_parts = []
    for message in world.emails:
        (html, mimetype), *_ = message.alternatives
        assert mimetype == "text/html"
        assert_no_injected_markup(html, ALL_PAYLOADS, f"email {message.subject!r}")
        html_parts.append(html)

    assert_shown_as_text("\n".join(html_parts), tags(*EMAILED), "emails")


def test_the_internal_note_is_in_no_email(world):
    """Not markup, but the same walk shows it: the desk's internal note never reaches the practice."""
    for message in world.emails:
        assert P["note.desk.internal"] not in message.body
        assert P["note.desk.internal"] not in message.alternatives[0][0]
