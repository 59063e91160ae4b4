"""Demo data for trying the portal: fictional practices, people, products and incidents.

Every person and practice here is invented; telephone numbers come from the range Ofcom reserves for
drama (01632 960000–960999). Running the command again changes nothing that already exists.
"""

import io
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Contract, Country, Practice, Site, User
from accounts.roles import AGENTS, TEAM_LEADERS, setup_roles
from escalation.models import EscalationLevel, LevelContact
from escalation.services import incident_escalate
from incidents import services
from incidents.attachments import check_upload
from incidents.models import CannedReply, Channel, Incident, Product, Release, Severity, Urgency, YesNoUnknown
from incidents.services import incident_log
from knowledge.models import Article
from knowledge.services import article_save
from surveys.models import Answer as SurveyAnswer
from surveys.models import Question, SurveyRound
from surveys.models import Response as SurveyResponse
from surveys.services import queue_invitation_emails, sample_month, send_invitation

DEMO_PASSWORD = "Demo-Portal-2026!"  # noqa: S105 - printed for people trying the demo

STANDARD, MANAGED = "Standard support", "Managed service"  # the demo's contracts

PRACTICES = [
    # practice_id, name, country, contract, sites (main first)
    ("Z90001", "Riverside Medical Centre", Country.ENGLAND, STANDARD, ["Riverside", "Mill Lane branch"]),
    ("Z90002", "Hillview Surgery", Country.WALES, MANAGED, ["Hillview"]),
    ("Z90003", "Harbour Family Practice", Country.IRELAND, STANDARD, ["Harbour", "Quay Street branch"]),
]

PEOPLE = [
    # email, name, phone, practice_id or None, role
    ("alex.morgan@riverside.example", "Alex Morgan", "01632 960101", "Z90001", "Practice manager"),
    ("sam.patel@riverside.example", "Sam Patel", "01632 960102", "Z90001", "Receptionist"),
    ("jordan.reid@hillview.example", "Jordan Reid", "01632 960201", "Z90002", "Practice manager"),
    ("niamh.byrne@harbour.example", "Niamh Byrne", "01632 960301", "Z90003", "GP"),
    ("casey.agent@servicedesk.example", "Casey Agent", "01632 960901", None, AGENTS),
    ("robin.lead@servicedesk.example", "Robin Lead", "01632 960902", None, TEAM_LEADERS),
    ("drew.fletcher@servicedesk.example", "Drew Fletcher", "01632 960903", None, TEAM_LEADERS),
    ("morgan.ellis@servicedesk.example", "Morgan Ellis", "01632 960904", None, TEAM_LEADERS),
    ("admin@servicedesk.example", "Demo Administrator", "01632 960999", None, "superuser"),
]

PRODUCTS = [("Synergy Clinical", "5.4.2"), ("Synergy Appointments", "3.1.0"), ("Synergy Reporting", "2.0.7")]

INCIDENTS = [
    # reporter, product, severity, summary, description
    ("alex.morgan@riverside.example", "Synergy Clinical", Severity.MAJOR_FAULT,
     "Prescriptions will not print on the reception printer",
     "Since this morning every repeat prescription fails to print from reception with a spooler error."),
    ("sam.patel@riverside.example", "Synergy Appointments", Severity.MINOR_FAULT,
     "Online booking shows Saturday clinics twice",
     "Each Saturday session appears twice in the online booking page; booking either slot works."),
    ("alex.morgan@riverside.example", "Synergy Reporting", Severity.OTHER,
     "How do I schedule the monthly QOF report?",
     "We would like the monthly report to run on the first working day of each month."),
    ("jordan.reid@hillview.example", "Synergy Clinical", Severity.RESIDUAL_FAULT,
     "Duplicate allergy entries after the last upgrade",
     "Some records show an allergy twice since the upgrade; the application still works."),
    ("niamh.byrne@harbour.example", "Synergy Appointments", Severity.MINOR_FAULT,
     "Branch site rota not visible at the main site",
     "Staff at the Harbour site cannot see the Quay Street branch rota."),
]  # fmt: skip


# Demo incidents the practice has asked to escalate (the team leader sees them at /escalations/).
ESCALATED = {
    "Duplicate allergy entries after the last upgrade": "Records are wrong and nobody has called back"
}

# Customers who only appear in the survey demo: each had one incident closed in each of the last two
# months, so that the monthly draws have people to choose from. They have no password.
SURVEY_CUSTOMERS = [
    ("priya.shah@riverside.example", "Priya Shah", "01632 960111", "Z90001"),
    ("tom.hughes@riverside.example", "Tom Hughes", "01632 960112", "Z90001"),
    ("megan.lloyd@hillview.example", "Megan Lloyd", "01632 960211", "Z90002"),
    ("owen.price@hillview.example", "Owen Price", "01632 960212", "Z90002"),
    ("aoife.walsh@harbour.example", "Aoife Walsh", "01632 960311", "Z90003"),
    ("ciaran.doyle@harbour.example", "Ciaran Doyle", "01632 960312", "Z90003"),
    ("lucy.grant@riverside.example", "Lucy Grant", "01632 960113", "Z90001"),
    ("ravi.nair@hillview.example", "Ravi Nair", "01632 960213", "Z90002"),
]

# Answers given in the demo's earlier round: overall score, resolved?, ease of logging, comment.
SURVEY_ANSWERS = [
    (5, True, 4, "Quick and friendly; the engineer called back within the hour."),
    (3, False, 4, "Fixed in the end, but we had to chase twice."),
    (4, True, 5, ""),
]

# A note with a screenshot taken with a fictional patient's record open (NHS number 999 000 0018, from the
# range reserved for testing), by summary: the screenshot check holds it, so the practice's Redact and
# Confirm and the desk's "Held" can be seen. With Tesseract missing it is held as not checked.
SCREENSHOT_NOTES = {
    "Prescriptions will not print on the reception printer": "The error, as it appears at reception.",
}


def _screenshot_with_banner():
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (1280, 360), "#f0f4f5")
    draw = ImageDraw.Draw(image)
    big, small = ImageFont.load_default(size=22), ImageFont.load_default(size=18)
    draw.rectangle((0, 0, 1280, 64), fill="#005eb8")
    banner = "Mr Demo FICTIONAL   Born 01-Jan-1970   NHS No 999 000 0018"
    draw.text((24, 20), banner, font=big, fill="white")
    draw.text((24, 110), "Prescriptions > Print", font=small, fill="#212b32")
    error = "Error 0x80070005: the print spooler refused the job. Try again later."
    draw.text((24, 150), error, font=small, fill="#b41e13")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile("printing-error.png", out.getvalue(), content_type="image/png")


# Demo incidents moved along the lifecycle after logging, by summary.
LIFECYCLE = {
    "Prescriptions will not print on the reception printer": "resolved",
    "Online booking shows Saturday clinics twice": "fix_scheduled",
}


def _new_incident(reporter, product, severity, urgency, summary, description):
    """An unsaved incident logged through the portal by `reporter`, at the practice's main site."""
    return Incident(
        reporter=reporter,
        channel=Channel.PORTAL,
        severity=severity,
        contact_name=reporter.full_name,
        contact_number=reporter.phone,
        site=reporter.practice.sites.filter(is_main=True).first(),
        product=product,
        version=product.current_version,
        on_current_version=YesNoUnknown.YES,
        urgency=urgency,
        summary=summary,
        description=description,
    )


# The desk's canned replies (title, text with placeholders), as an administrator would keep them.
CANNED_REPLIES = [
    ("Looking into it", "Thank you for reporting this, {practice}. {agent} is looking into {reference} now "
     "and will update you here."),
    ("Remote session needed", "To look at {reference} we need a remote session on the affected PC. Please "
     "reply with a time today when {product} is not in use."),
    ("Fixed by restart", "We restarted the service behind {product} and the fault has cleared. Please check "
     "and confirm {reference} is fixed."),
    ("Printing prescriptions (article)", "Hello {practice}, these steps usually clear it: "
     "{article:printing-prescriptions}. If they do not, reply here and we will look at {reference}."),
]  # fmt: skip

# Help articles (slug, title, products or () for every product, audience, body in Markdown), written by the
# team leader. Fictional steps for fictional products.
ARTICLES = [
    ("printing-prescriptions", "Printing prescriptions when nothing comes out", ("Synergy Clinical",),
     "practices",
     "If a prescription is sent to print but nothing comes out:\n\n"
     "1. Check the printer is on and shows no error, and that **tray 2** holds FP10 paper.\n"
     "2. In Synergy Clinical choose **Tools › Printers** and check the prescription printer is the right "
     "one.\n"
     "3. Print a test page from the same screen.\n\n"
     "## Still nothing?\n\n"
     "Restart the PC, then try again. If it still fails, log an incident with the printer's name and the "
     "exact message on screen."),
    ("clearing-the-appointments-cache", "Clearing the appointments cache", ("Synergy Appointments",),
     "practices",
     "When the appointment book shows slots that were changed or removed, its cache may be out of date.\n\n"
     "- Close Synergy Appointments on **this PC only**.\n"
     "- Open it again holding **Shift**: it asks whether to clear the cache; choose *Yes*.\n\n"
     "> Clearing the cache does not change any appointment. It only reloads the book from the server."),
    ("scheduling-a-report", "Scheduling a report to run overnight", ("Synergy Reporting",), "practices",
     "Large reports run faster overnight.\n\n"
     "| Step | Where |\n|---|---|\n| Open the report | Reports › Saved reports |\n"
     "| Choose *Schedule* | The report's toolbar |\n| Pick a time after 19:00 | The schedule window |\n\n"
     "The result appears under **Reports › Finished** the next morning."),
    ("restarting-a-practice-print-server", "Restarting a practice's print server", (), "desk",
     "For the desk only. With the practice's permission, connect by remote session, open **Services** and "
     "restart *Print Spooler*. Note the time in the incident."),
]  # fmt: skip


class Command(BaseCommand):
    help = "Load fictional demo practices, people, products and incidents (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Load the demo even with DEBUG off. It creates a superuser whose password is public.",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError(
                "Refusing to load demo data with DEBUG off: it creates accounts whose password is public. "
                "Use --allow-without-debug on a throwaway database only."
            )
        setup_roles()
        with transaction.atomic():
            practices = self._practices()
            people = self._people(practices)
            products = {name: Product.objects.get_or_create(name=name, defaults={"current_version": v})[0]
                        for name, v in PRODUCTS}  # fmt: skip
            self._ladder(people, products, practices["Z90002"].contract)
            self._articles(people["robin.lead@servicedesk.example"], products)
            for title, text in CANNED_REPLIES:
                CannedReply.objects.get_or_create(title=title, defaults={"text": text})
        created = self._incidents(people, products)
        links = self._surveys(practices, people, products)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new incidents)."))
        self._print_logins()
        self._print_survey_links(links)

    def _articles(self, author, products):
        """The help articles, each written once (with its first revision) through the service."""
        for slug, title, about, audience, body in ARTICLES:
            if Article.objects.filter(slug=slug).exists():
                continue
            article = Article(title=title, slug=slug, body=body, audience=audience, published=True)
            article_save(article, actor=author)
            article.products.set([products[name] for name in about])

    def _practices(self):
        practices = {}
        for code, name, country, contract_name, sites in PRACTICES:
            contract, _ = Contract.objects.get_or_create(
                name=contract_name, defaults={"managed_service": contract_name == MANAGED}
            )
            practice, _ = Practice.objects.get_or_create(
                practice_id=code, defaults={"name": name, "country": country, "contract": contract}
            )
            for i, site_name in enumerate(sites):
                Site.objects.get_or_create(practice=practice, name=site_name, defaults={"is_main": i == 0})
            practices[code] = practice
        return practices

    def _ladder(self, people, products, managed):
        """The handbook's ladder: Robin Lead is the first rung's team leader for Synergy Clinical and for
        anything without a team leader of its own, Drew Fletcher the team leader for Synergy Appointments,
        and Morgan Ellis the managed-service contract's allocated Customer Liaison Officer."""
        first, liaison = EscalationLevel.objects.get(position=1), EscalationLevel.objects.get(position=2)
        first.contacts.add(people["robin.lead@servicedesk.example"])
        for email, level, product, contract in [
            ("robin.lead@servicedesk.example", first, products["Synergy Clinical"], None),
            ("drew.fletcher@servicedesk.example", first, products["Synergy Appointments"], None),
            ("morgan.ellis@servicedesk.example", liaison, None, managed),
        ]:
            LevelContact.objects.get_or_create(
                level=level, person=people[email], product=product, contract=contract
            )

    def _people(self, practices):
        people = {}
        for email, name, phone, code, role in PEOPLE:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User(email=email, full_name=name, phone=phone, practice=practices.get(code))
                user.job_role = role if code else ""
                user.is_staff = code is None
                user.is_superuser = role == "superuser"
                user.set_password(DEMO_PASSWORD)
                user.save()
                if code is None and role != "superuser":
                    user.groups.add(*Group.objects.filter(name=role))
            people[email] = user
        return people

    def _incidents(self, people, products):
        created = 0
        for email, product, severity, summary, description in INCIDENTS:
            reporter = people[email]
            if Incident.objects.filter(practice=reporter.practice, summary=summary).exists():
                continue
            urgency = Urgency.TODAY if severity <= Severity.MAJOR_FAULT else Urgency.DAYS
            incident = _new_incident(reporter, products[product], severity, urgency, summary, description)
            if summary in LIFECYCLE:  # the incidents walked along the lifecycle also allow remote access
                incident.remote_access_allowed = True
                incident.remote_access_constraints = "Not during morning surgery (08:00-10:30)"
                incident.remote_access_details = "Demo remote-support ID DEMO-4471, access code Falcon-7"
            # No confirmation emails: they would only flood the console.
            incident_log(incident, actor=reporter, notify=False)
            if summary in SCREENSHOT_NOTES:
                upload = check_upload(_screenshot_with_banner())
                services.incident_add_note(
                    incident, actor=reporter, text=SCREENSHOT_NOTES[summary], uploads=[upload]
                )
            self._advance(incident, people["casey.agent@servicedesk.example"])
            if summary in ESCALATED:
                incident_escalate(incident, actor=reporter, reason=ESCALATED[summary])
            created += 1
        return created

    def _advance(self, incident, agent):
        """Walk some demo incidents along the lifecycle, so every state can be seen in the portal."""
        stage = LIFECYCLE.get(incident.summary)
        if stage is None:
            return
        services.incident_verify(incident, actor=agent)
        services.incident_start_investigation(incident, actor=agent, note="We are looking into this.")
        if stage == "resolved":
            resolution = "The print spooler was restarted and the driver updated. Please try again."
            services.incident_resolve(incident, actor=agent, resolution=resolution)
        elif stage == "fix_scheduled":
            release, _ = Release.objects.get_or_create(
                product=incident.product,
                version="5.5.0",
                defaults={
                    "kind": Release.Kind.PLANNED,
                    "target_date": timezone.localdate() + timedelta(days=30),
                },
            )
            workaround = "Use Saturday's first listing; both book the same slot."
            services.incident_schedule_fix(incident, actor=agent, release=release, workaround=workaround)

    def _surveys(self, practices, people, products):
        """Two survey rounds: the month before last, drawn, sent and partly answered (see the results at
        /surveys/results/ as Robin); last month, drawn now with its invitations emailed to the console."""
        agent = people["casey.agent@servicedesk.example"]
        customers = [user for user in people.values() if user.practice_id]
        for email, name, phone, code in SURVEY_CUSTOMERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, full_name=name, phone=phone, practice=practices[code])
            customers.append(user)
        last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
        earlier_month = (last_month - timedelta(days=1)).replace(day=1)
        for month in (earlier_month, last_month):
            if SurveyRound.objects.filter(month=month).exists():
                continue
            # The history behind the rounds is demo background: its emails are not sent.
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
                for day, customer in enumerate(customers, start=1):
                    self._closed_incident(customer, products, agent, month.replace(day=min(day, 28)))
            with transaction.atomic():
                survey_round, _ = sample_month(month, seed=2026)
                if month == last_month:
                    queue_invitation_emails(survey_round)  # printed on the console once this commits
                    continue
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
                for invitation_id in survey_round.invitations.values_list("pk", flat=True):
                    send_invitation(invitation_id)
            self._answer(survey_round)
        current = SurveyRound.objects.filter(month=last_month).first()
        return [
            (invitation.customer.email, invitation.token)
            for invitation in current.invitations.select_related("customer").filter(response__isnull=True)
        ]

    def _closed_incident(self, customer, products, agent, day):
        product = products[PRODUCTS[day.day % len(PRODUCTS)][0]]
        severity = [Severity.MAJOR_FAULT, Severity.MINOR_FAULT, Severity.OTHER][day.day % 3]
        summary = f"Report export stopped part-way ({day:%B %Y})"
        description = "The export stopped at about half way with no message."
        incident = _new_incident(customer, product, severity, Urgency.DAYS, summary, description)
        incident_log(incident, actor=customer, notify=False)
        services.incident_verify(incident, actor=agent)
        services.incident_start_investigation(incident, actor=agent)
        services.incident_resolve(incident, actor=agent, resolution="A corrupt cache file was cleared.")
        services.incident_confirm(incident, actor=customer)
        # Backdated into the month being sampled: the demo's only shortcut past the services.
        closed_at = timezone.make_aware(datetime.combine(day, time(11, 0)))
        Incident.objects.filter(pk=incident.pk).update(closed_at=closed_at)

    def _answer(self, survey_round):
        questions = {question.position: question for question in Question.objects.filter(active=True)}
        ordered = [questions[key] for key in sorted(questions)]
        invitations = survey_round.invitations.order_by("pk")
        for invitation, values in zip(invitations, SURVEY_ANSWERS, strict=False):
            response = SurveyResponse.objects.create(invitation=invitation)
            for question, value in zip(ordered, values, strict=False):
                SurveyAnswer.objects.create(
                    response=response,
                    question=question,
                    question_text=question.text,
                    score=value if question.kind == Question.Kind.SCORE else None,
                    yes=value if question.kind == Question.Kind.YES_NO else None,
                    text=value if question.kind == Question.Kind.TEXT else "",
                )

    def _print_survey_links(self, links):
        if not links:
            return
        self.stdout.write("\nSurvey links of last month's round (each works once; no login needed):")
        for email, token in links:
            self.stdout.write(f"  {email:<36} http://127.0.0.1:8000{reverse('surveys:answer', args=[token])}")

    def _print_logins(self):
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        labels = {
            "alex.morgan@riverside.example": "practice user, Riverside Medical Centre",
            "sam.patel@riverside.example": "colleague in the same practice",
            "jordan.reid@hillview.example": "user of a second practice, Hillview Surgery",
            "casey.agent@servicedesk.example": "service-desk agent (admin at /admin/)",
            "robin.lead@servicedesk.example": "team leader (Synergy Clinical, and the rest)",
            "drew.fletcher@servicedesk.example": "team leader (Synergy Appointments)",
            "morgan.ellis@servicedesk.example": "Customer Liaison Officer (managed service, Hillview)",
            "admin@servicedesk.example": "administrator (superuser)",
        }
        for email, label in labels.items():
            self.stdout.write(f"  {email:<36} {label}")
