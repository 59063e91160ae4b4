"""Demo data for trying the portal: fictional practices, people, products and incidents.

Every person and practice here is invented; telephone numbers come from the range Ofcom reserves for
drama (01632 960000–960999). Running the command again changes nothing that already exists.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Contract, Country, Practice, Site, User
from accounts.roles import AGENTS, TEAM_LEADERS, setup_roles
from escalation.models import EscalationLevel
from escalation.services import incident_escalate
from incidents import services
from incidents.models import Answer, Channel, Incident, Product, Release, Severity, Urgency
from incidents.services import incident_log

DEMO_PASSWORD = "Demo-Portal-2026!"  # noqa: S105 - printed for people trying the demo

PRACTICES = [
    # practice_id, name, country, contract, sites (main first)
    (
        "Z90001",
        "Riverside Medical Centre",
        Country.ENGLAND,
        "Standard support",
        ["Riverside", "Mill Lane branch"],
    ),
    ("Z90002", "Hillview Surgery", Country.WALES, "Managed service", ["Hillview"]),
    (
        "Z90003",
        "Harbour Family Practice",
        Country.IRELAND,
        "Standard support",
        ["Harbour", "Quay Street branch"],
    ),
]

PEOPLE = [
    # email, name, phone, practice_id or None, role
    ("alex.morgan@riverside.example", "Alex Morgan", "01632 960101", "Z90001", "Practice manager"),
    ("sam.patel@riverside.example", "Sam Patel", "01632 960102", "Z90001", "Receptionist"),
    ("jordan.reid@hillview.example", "Jordan Reid", "01632 960201", "Z90002", "Practice manager"),
    ("niamh.byrne@harbour.example", "Niamh Byrne", "01632 960301", "Z90003", "GP"),
    ("casey.agent@servicedesk.example", "Casey Agent", "01632 960901", None, AGENTS),
    ("robin.lead@servicedesk.example", "Robin Lead", "01632 960902", None, TEAM_LEADERS),
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


# Demo incidents moved along the lifecycle after logging, by summary.
# Demo incidents the practice has asked to escalate (the team leader sees them at /escalations/).
ESCALATED = {
    "Duplicate allergy entries after the last upgrade": "Records are wrong and nobody has called back"
}

LIFECYCLE = {
    "Prescriptions will not print on the reception printer": "resolved",
    "Online booking shows Saturday clinics twice": "fix_scheduled",
}


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
            # The demo team leader works the first rung of the escalation ladder.
            EscalationLevel.objects.get(position=1).contacts.add(people["robin.lead@servicedesk.example"])
            products = {name: Product.objects.get_or_create(name=name, defaults={"current_version": v})[0]
                        for name, v in PRODUCTS}  # fmt: skip
        created = self._incidents(people, products)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new incidents)."))
        self._print_logins()

    def _practices(self):
        practices = {}
        for code, name, country, contract_name, sites in PRACTICES:
            contract, _ = Contract.objects.get_or_create(
                name=contract_name, defaults={"managed_service": contract_name == "Managed service"}
            )
            practice, _ = Practice.objects.get_or_create(
                practice_id=code, defaults={"name": name, "country": country, "contract": contract}
            )
            for i, site_name in enumerate(sites):
                Site.objects.get_or_create(practice=practice, name=site_name, defaults={"is_main": i == 0})
            practices[code] = practice
        return practices

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
            incident = Incident(
                reporter=reporter,
                channel=Channel.PORTAL,
                severity=severity,
                contact_name=reporter.full_name,
                contact_number=reporter.phone,
                site=reporter.practice.sites.filter(is_main=True).first(),
                product=products[product],
                version=products[product].current_version,
                on_current_version=Answer.YES,
                urgency=Urgency.TODAY if severity <= Severity.MAJOR_FAULT else Urgency.DAYS,
                summary=summary,
                description=description,
            )
            if summary in LIFECYCLE:  # the incidents walked along the lifecycle also allow remote access
                incident.remote_access_allowed = True
                incident.remote_access_constraints = "Not during morning surgery (08:00-10:30)"
                incident.remote_access_details = "Demo remote-support ID DEMO-4471, access code Falcon-7"
            # No confirmation emails: they would only flood the console.
            incident_log(incident, actor=reporter, notify=False)
            self._advance(incident, people["casey.agent@servicedesk.example"], products)
            if summary in ESCALATED:
                incident_escalate(incident, actor=reporter, reason=ESCALATED[summary])
            created += 1
        return created

    def _advance(self, incident, agent, products):
        """Walk some demo incidents along the lifecycle, so every state can be seen in the portal."""
        stage = LIFECYCLE.get(incident.summary)
        if stage is None:
            return
        services.incident_verify(incident, actor=agent)
        services.incident_start_investigation(incident, actor=agent, note="We are looking into this.")
        if stage == "resolved":
            services.incident_resolve(
                incident,
                actor=agent,
                resolution="The print spooler was restarted and the driver updated. Please try again.",
            )
        elif stage == "fix_scheduled":
            release, _ = Release.objects.get_or_create(
                product=incident.product,
                version="5.5.0",
                defaults={
                    "kind": Release.Kind.PLANNED,
                    "target_date": timezone.localdate() + timedelta(days=30),
                },
            )
            services.incident_schedule_fix(
                incident,
                actor=agent,
                release=release,
                workaround="Use Saturday's first listing; both book the same slot.",
            )

    def _print_logins(self):
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        labels = {
            "alex.morgan@riverside.example": "practice user, Riverside Medical Centre",
            "sam.patel@riverside.example": "colleague in the same practice",
            "jordan.reid@hillview.example": "user of a second practice, Hillview Surgery",
            "casey.agent@servicedesk.example": "service-desk agent (admin at /admin/)",
            "robin.lead@servicedesk.example": "team leader",
            "admin@servicedesk.example": "administrator (superuser)",
        }
        for email, label in labels.items():
            self.stdout.write(f"  {email:<36} {label}")
