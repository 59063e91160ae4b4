import factory
from django.contrib.auth.models import Group

from accounts.models import Contract, Country, Practice, Site, User
from incidents.models import Channel, Incident, Product, Severity
from incidents.services import incident_log

PASSWORD = "Correct-Horse-9!"


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract
        django_get_or_create = ["name"]

    name = "Standard support"


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice
        skip_postgeneration_save = True

    practice_id = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"Test Practice {n}")
    country = Country.ENGLAND
    contract = factory.SubFactory(ContractFactory)
    main_site = factory.RelatedFactory(
        "tests.factories.SiteFactory", factory_related_name="practice", name="Main", is_main=True
    )


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    practice = factory.SubFactory(PracticeFactory)
    name = factory.Sequence(lambda n: f"Branch {n}")
    is_main = False


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@practice.example")
    full_name = factory.Sequence(lambda n: f"Test Person {n}")
    phone = "01632 960555"
    practice = factory.SubFactory(PracticeFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in extracted))
        if create:
            self.save()


class StaffFactory(UserFactory):
    email = factory.Sequence(lambda n: f"staff{n}@servicedesk.example")
    practice = None
    is_staff = True


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Product {n}")
    current_version = "1.0.0"


class IncidentFactory(factory.django.DjangoModelFactory):
    """Incidents are logged the way the portal logs them, so each gets a real reference."""

    class Meta:
        model = Incident

    reporter = factory.SubFactory(UserFactory)
    channel = Channel.PORTAL
    severity = Severity.MINOR_FAULT
    contact_name = factory.SelfAttribute("reporter.full_name")
    contact_number = "01632 960555"
    product = factory.SubFactory(ProductFactory)
    summary = factory.Sequence(lambda n: f"Problem number {n}")
    description = "It stopped working after lunch."

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return incident_log(model_class(*args, **kwargs), actor=kwargs["reporter"])


def incident_form_data(user, product, **changes):
    """A complete, valid answer to the portal's checklist for logging an incident."""
    return {
        "contact_name": user.full_name,
        "contact_number": "01632 960555",
        "site": user.practice.sites.get(is_main=True).pk,
        "summary": "Appointments screen freezes",
        "severity": "3",
        "urgency": "today",
        "impact": "Reception cannot book appointments.",
        "description": "Since this morning the appointments screen freezes when opened.",
        "product": product.pk,
        "version": "5.4.2",
        "on_current_version": "yes",
        "machine_name": "RECEPTION-PC-01",
        "onscreen_messages": "Not responding",
        "what_was_running": "Appointments",
        "process": "Open Appointments, choose today",
        "worked_before": "yes",
        "worked_before_when": "Yesterday afternoon",
        "what_changed": "Nothing we know of",
        "recent_upgrades": "None",
        "more_than_one_pc": "yes",
        "repeatable": "yes",
        "users_affected": "3",
        "sites_affected": "main",
        **changes,
    }
