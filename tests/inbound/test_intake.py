"""The email intake's decisions: new incident, note, refusal, hold; once only; loop-proof."""

import pytest
from django.core import mail
from django.core.management import call_command

from inbound.models import InboundMessage, Outcome
from incidents.mail_thread import thread_headers
from incidents.models import Channel, Incident, Status, TimelineEvent
from tests.factories import IncidentFactory, StaffFactory, UserFactory

from .conftest import DANA, INTAKE, SAM, compose, reply_headers

pytestmark = pytest.mark.django_db


def test_a_practice_user_emails_and_gets_an_incident_with_its_reference(sam, take):
    row = take(compose(subject="Label printer stops", body="It prints one label, then stops.\n\nSam"))

    incident = Incident.objects.get()
    assert row.outcome == Outcome.LOGGED and row.incident == incident
    assert (incident.practice, incident.reporter, incident.channel) == (sam.practice, sam, Channel.EMAIL)
    assert incident.severity == 3 and incident.status == Status.LOGGED and incident.product is None
    assert incident.summary == "Label printer stops"
    assert "It prints one label, then stops." in incident.description
    assert (incident.contact_name, incident.contact_number) == ("Sam Okafor", "01632 960123")
    [reply] = mail.outbox
    assert reply.to == [SAM] and reply.reply_to == [INTAKE]
    assert incident.reference in reply.subject and incident.reference in reply.body
    assert f"/incidents/{incident.reference}/details/" in reply.body
    # The reply opens the incident's thread, so that answering it adds a note.
    assert reply.extra_headers["Message-ID"] == thread_headers(incident.reference, first=True)["Message-ID"]
    assert reply.extra_headers["Auto-Submitted"] == "auto-generated"


def test_the_record_keeps_metadata_and_outcome_never_the_body(sam, take):
    row = take(compose(body="A sentence only the incident may keep."))
    row.refresh_from_db()
    stored = " ".join(str(getattr(row, field.attname)) for field in InboundMessage._meta.fields)
    assert "A sentence only the incident may keep." not in stored
    assert row.sender == SAM and row.subject == "Printing fails" and row.size > 0 and len(row.sha256) == 64


def test_the_sender_is_matched_whatever_the_case_of_the_address(sam, take):
    take(compose(sender="Sam Okafor <Sam.OKAFOR@Oakfield-Surgery.example>"))
    assert Incident.objects.get().reporter == sam


def test_the_same_message_twice_makes_one_incident_whichever_adapter_reads_it(sam, take, pipe):
    message = compose()
    first = take(message)
    again = take(message)
    printed = pipe(bytes(message))

    assert Incident.objects.count() == 1 and InboundMessage.objects.count() == 1
    assert again.pk == first.pk and printed.startswith("Already read on ")
    assert len(mail.outbox) == 1


def test_the_same_message_id_with_other_bytes_is_still_one_message(sam, take):
    message = compose()
    take(message)
    message["Received"] = "from mx2.example.org by mx.servicedesk.example.org; Mon, 7 Dec 2026 10:00:00 +0000"
    take(message)
    assert Incident.objects.count() == 1 and InboundMessage.objects.count() == 1


def test_a_reply_to_a_desk_email_adds_a_note_without_the_quoted_history(sams_incident, take):
    in_reply_to, references = reply_headers(sams_incident)
    body = (
        "Yes, it happens on every reception PC.\n\nKind regards,\nSam Okafor\nPractice Manager\n\n"
        "On Mon, 7 Dec 2026 at 10:15, Primary Care Service Desk <incidents@servicedesk.example.org> wrote:\n"
        "> Does it happen on more than one PC?\n"
    )
    row = take(
        compose(subject="Re: your incident", body=body, In_Reply_To=in_reply_to, References=references)
    )

    assert row.outcome == Outcome.NOTE and row.incident == sams_incident
    note = sams_incident.events.get(kind=TimelineEvent.Kind.NOTE)
    assert note.text == "Yes, it happens on every reception PC."
    assert note.actor.email == SAM and note.public
    assert Incident.objects.count() == 1


def test_the_reference_in_the_subject_threads_a_message_from_the_same_practice(sams_incident, take):
    row = take(compose(subject=f"Update on [{sams_incident.reference}]", body="Still happening today."))
    assert row.outcome == Outcome.NOTE and row.incident == sams_incident


def test_another_practices_reference_is_new_mail_and_reveals_nothing(sams_incident, dana, take):
    reference = sams_incident.reference
    row = take(compose(sender=DANA, subject=f"Re: [{reference}] any news?", body="Any news on this one?"))

    assert row.outcome == Outcome.LOGGED and row.incident.practice == dana.practice
    assert sams_incident.events.filter(kind=TimelineEvent.Kind.NOTE).count() == 0
    [reply] = mail.outbox
    assert reply.to == [DANA] and row.incident.reference in reply.subject
    assert sams_incident.summary not in reply.body and sams_incident.summary not in reply.subject


def test_a_forged_thread_id_is_not_trusted(sams_incident, dana, take):
    # Dana takes a genuine ID of her own practice's incident and puts Sam's reference in it.
    danas = IncidentFactory(reporter=dana)
    genuine = thread_headers(danas.reference)["Message-ID"]
    forged = genuine.replace(danas.reference, sams_incident.reference)
    row = take(compose(sender=SAM, subject="Re: update", body="Forged thread", In_Reply_To=forged))
    assert row.outcome == Outcome.LOGGED and row.incident != sams_incident and row.incident != danas


def test_a_thread_id_of_another_practices_incident_is_new_mail(sams_incident, dana, take):
    in_reply_to, references = reply_headers(sams_incident)  # e.g. Sam forwarded the desk's email to Dana
    row = take(compose(sender=DANA, subject="Re: update", In_Reply_To=in_reply_to, References=references))
    assert row.outcome == Outcome.LOGGED and row.incident.practice == dana.practice


def test_a_note_on_a_resolved_incident_does_not_confirm_it_and_the_desk_is_told(
    sams_incident, settings, take
):
    Incident.objects.filter(pk=sams_incident.pk).update(status=Status.RESOLVED)
    in_reply_to, references = reply_headers(sams_incident)
    take(compose(subject="Re: resolved", body="It works now, thank you.", In_Reply_To=in_reply_to))

    sams_incident.refresh_from_db()
    assert sams_incident.status == Status.RESOLVED
    assert [m.to for m in mail.outbox] == [[settings.SERVICE_DESK_NOTIFY_EMAIL]]


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Auto-Submitted", "auto-replied"),
        ("Auto-Submitted", "auto-generated; owner-email=x@example.org"),
        ("Precedence", "bulk"),
        ("Precedence", "junk"),
        ("Precedence", "list"),
        ("X-Auto-Response-Suppress", "All"),
        ("List-Id", "<practice-managers.lists.example.org>"),
        ("Return-Path", "<>"),
    ],
)
def test_automatic_mail_makes_no_incident_note_or_reply(sams_incident, header, value, take):
    in_reply_to, _ = reply_headers(sams_incident)
    row = take(compose(subject="Automatic reply: away", In_Reply_To=in_reply_to, **{header: value}))

    assert row.outcome == Outcome.AUTOMATED
    assert Incident.objects.count() == 1 and not sams_incident.events.filter(kind="note").exists()
    assert mail.outbox == []


def test_auto_submitted_no_is_a_person(sam, take):
    assert take(compose(Auto_Submitted="no")).outcome == Outcome.LOGGED


def test_the_desks_own_mail_never_comes_back_in(sams_incident, settings, take):
    ours = compose(sender=settings.SERVICE_DESK_NOTIFY_EMAIL)
    echoed = compose(sender=SAM)
    echoed.replace_header("Message-ID", thread_headers(sams_incident.reference)["Message-ID"])
    assert take(ours).outcome == Outcome.AUTOMATED
    assert take(echoed).outcome == Outcome.AUTOMATED
    assert mail.outbox == []


def test_an_unknown_sender_gets_one_reply_and_nothing_is_kept(db, settings, take):
    first = take(compose(sender="stranger@elsewhere.example", body="Please fix our system."))
    second = take(compose(sender="Stranger@Elsewhere.example", body="Please fix it now."))

    assert first.outcome == second.outcome == Outcome.UNKNOWN_SENDER
    assert not Incident.objects.exists()
    [reply] = mail.outbox
    assert reply.to == ["stranger@elsewhere.example"]
    assert "/accounts/register/" in reply.body and "Auto-Submitted" in reply.extra_headers


def test_the_account_reply_goes_again_after_the_period(db, settings, time_machine, take):
    time_machine.move_to("2026-12-07 09:00 +00:00", tick=False)
    take(compose(sender="stranger@elsewhere.example"))
    time_machine.shift(settings.INBOUND_UNKNOWN_SENDER_REPLY_HOURS * 3600 + 60)
    take(compose(sender="stranger@elsewhere.example"))
    assert len(mail.outbox) == 2


@pytest.mark.parametrize("whom", ["inactive", "staff"])
def test_inactive_users_and_desk_staff_cannot_log_by_email(db, whom, take):
    if whom == "inactive":
        UserFactory(email="gone@practice.example", is_active=False)
        expected = Outcome.UNKNOWN_SENDER
    else:
        StaffFactory(email="gone@practice.example")
        expected = Outcome.REFUSED
    assert take(compose(sender="gone@practice.example")).outcome == expected
    assert not Incident.objects.exists()


def test_a_failing_dmarc_from_our_receiving_server_is_refused(sam, settings, take):
    settings.INBOUND_AUTHSERV_ID = "mx.servicedesk.example.org"
    forged = "mx.servicedesk.example.org; spf=fail smtp.mailfrom=oakfield-surgery.example; dmarc=fail"
    written_by_sender = "evil.example; dmarc=fail"
    assert take(compose(Authentication_Results=forged)).outcome == Outcome.REFUSED
    assert take(compose(Authentication_Results=written_by_sender)).outcome == Outcome.LOGGED
    settings.INBOUND_CHECK_DMARC = False
    assert take(compose(Authentication_Results=forged, body="Again")).outcome == Outcome.LOGGED
    assert len(mail.outbox) == 2  # the two logged; no answer to mail that failed DMARC


def test_mail_over_the_size_limit_is_refused_and_the_sender_told(sam, settings, take):
    settings.INBOUND_MAX_BYTES = 64 * 1024
    row = take(compose(body="x" * 70 * 1024))
    assert row.outcome == Outcome.REFUSED
    assert row.reason == "Too large: 72.1\xa0KB, over the 64.0\xa0KB accepted."
    assert not Incident.objects.exists()
    [reply] = mail.outbox
    assert reply.to == [SAM] and "too large" in reply.subject


def test_the_pipe_command_prints_the_outcome_and_refuses_an_empty_message(sam, pipe):
    assert pipe(bytes(compose())).startswith("Incident logged. Logged as ")
    with pytest.raises(SystemExit) as exit_code:
        pipe(b"  \n")
    assert exit_code.value.code == 65


def test_the_notification_address_must_differ_from_the_intake(settings):
    from django.core.management.base import SystemCheckError

    settings.SERVICE_DESK_NOTIFY_EMAIL = settings.INBOUND_EMAIL_ADDRESS.upper()
    with pytest.raises(SystemCheckError, match="inbound.E001"):
        call_command("check")


def test_refused_attachments_are_listed_in_the_reply_and_the_rest_kept(sam, take, settings):
    settings.ATTACHMENT_MAX_PER_NOTE = 2
    message = compose(subject="Report crashes", body="Logs attached.")
    message.add_attachment(b"report line 1\n", maintype="text", subtype="plain", filename="report.log")
    message.add_attachment(
        b"<html><script>x()</script></html>", maintype="text", subtype="html", filename="p.html"
    )
    message.add_attachment(
        b"MZ\x90\x00\x03binary", maintype="application", subtype="octet-stream", filename="a.exe"
    )
    message.add_attachment(b"second log\n", maintype="text", subtype="plain", filename="second.log")
    message.add_attachment(b"third log\n", maintype="text", subtype="plain", filename="third.log")

    row = take(message)

    incident = row.incident
    assert sorted(a.original_name for a in incident.attachments.all()) == ["report.log", "second.log"]
    assert [file["name"] for file in row.refused_files] == ["p.html", "a.exe", "third.log"]
    [reply] = mail.outbox
    for name in ("p.html", "a.exe", "third.log"):
        assert name in reply.body
    assert "not a file we accept" in reply.body and "Only 2 files are kept" in reply.body


def test_a_mail_loop_from_one_address_is_cut_off_without_replies(sam, take, settings):
    settings.INBOUND_SENDER_HOURLY_LIMIT = 3
    rows = [take(compose(subject=f"Forwarded copy {n}", body=f"Copy {n}")) for n in range(5)]
    assert [row.outcome for row in rows] == [Outcome.LOGGED] * 3 + [Outcome.REFUSED] * 2
    assert "in an hour" in rows[-1].reason
    assert Incident.objects.count() == 3 and len(mail.outbox) == 3  # the three logged, nothing more
