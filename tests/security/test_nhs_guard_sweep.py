"""Every field a person types into is checked for NHS numbers, staff fields included.

The sweep finds the forms itself: every form class defined in the project, and every form of every model
admin registered (the change form, each inline's forms, the list's editable columns), those of other
packages included. A new form, field or model admin is checked without being listed here; it fails the
sweep if it leaves a text field unchecked. The only text fields allowed unchecked are listed below, each
with the reason: their text is never stored.
"""

import importlib
import pkgutil

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory

from accounts.models import Contract, Practice
from incidents.models import Product
from servicedesk.lib.forms import NoNHSNumbersMixin
from tests.factories import StaffFactory

PROJECT_PACKAGES = ["accounts", "escalation", "incidents", "servicedesk", "surveys"]
NOT_IMPORTED = {"migrations", "settings", "wsgi"}  # no forms; settings and WSGI set things up on import

# form class: {field: why its text may go unchecked}
UNCHECKED = {
    "accounts.forms.PasswordResetForm": {"email": "looked up to send a link, never kept"},
    "incidents.forms.IncidentFilterForm": {"q": "a search box"},
    "incidents.admin_actions.LinkForm": {"reference": "an incident's reference, looked up, never kept"},
    "incidents.admin_actions.DuplicateForm": {"reference": "an incident's reference, looked up, never kept"},
    "incidents.admin_actions.KnownIssueLinkForm": {
        "reference": "an incident's reference, looked up, never kept"
    },
    "servicedesk.report_views.ReportForm": {
        "practice": "a practice ID looked up to filter the reports, never kept"
    },
}


def _import_project_modules():
    for package in PROJECT_PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if not NOT_IMPORTED & set(info.name.split(".")):
                importlib.import_module(info.name)


def _subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def _project_form_classes():
    _import_project_modules()
    found = {
        f"{cls.__module__}.{cls.__qualname__}": cls
        for cls in _subclasses(forms.BaseForm)
        if cls.__module__.split(".")[0] in PROJECT_PACKAGES
    }
    return dict(sorted(found.items()))


def text_fields(form_class):
    """The fields a person types text into, stated apart from the guard's own test of it."""
    return {
        name
        for name, field in form_class.base_fields.items()
        if isinstance(field, forms.CharField)
        and not isinstance(field.widget, forms.PasswordInput | forms.HiddenInput)
        and field.widget.attrs.get("autocomplete") != "one-time-code"
    }


def unchecked_text_fields(form_class):
    if not issubclass(form_class, NoNHSNumbersMixin):
        return text_fields(form_class)
    return text_fields(form_class) & set(form_class.nhs_unchecked_fields)


PROJECT_FORMS = _project_form_classes()


def test_the_sweep_finds_the_projects_forms():
    for name in ["accounts.forms.RegistrationForm", "incidents.admin.PurgeForm", "surveys.forms.SurveyForm"]:
        assert name in PROJECT_FORMS
    assert set(UNCHECKED) <= set(PROJECT_FORMS)


@pytest.mark.parametrize("name", PROJECT_FORMS)
def test_every_project_form_checks_every_text_field(name):
    assert unchecked_text_fields(PROJECT_FORMS[name]) == set(UNCHECKED.get(name, {}))


@pytest.fixture
def superuser_request(db):
    request = RequestFactory().get("/admin/")
    request.user = StaffFactory(is_superuser=True)
    return request


def admin_forms(model_admin, request):
    """Every form class the model admin builds for its add page, its change page (an object of the model:
    some admins, UserAdmin's, use another form there, or show other inlines) and its list."""
    for page, obj in [("add", None), ("change", model_admin.model(pk=0))]:  # pk 0: no related rows
        yield f"{page} form", model_admin.get_form(request, obj)
        for formset, inline in model_admin.get_formsets_with_inlines(request, obj):
            yield f"{page}: {type(inline).__name__}", formset.form
    if model_admin.list_editable:
        yield "list", model_admin.get_changelist_form(request)


@pytest.mark.parametrize("model", admin.site._registry, ids=lambda model: model._meta.label)
def test_every_admin_form_checks_every_text_field(model, superuser_request):
    model_admin = admin.site._registry[model]

    unchecked = {
        where: unchecked_text_fields(form_class)
        for where, form_class in admin_forms(model_admin, superuser_request)
        if unchecked_text_fields(form_class)
    }

    assert unchecked == {}


def test_a_model_admin_registered_later_is_guarded_too(superuser_request):
    site = type(admin.site)()
    site.register(Group)

    form_class = site._registry[Group].get_form(superuser_request, None)

    assert issubclass(form_class, NoNHSNumbersMixin)


# --- What a person sees in admin -------------------------------------------------------------------------


@pytest.fixture
def administrator_client(client, db):
    client.force_login(StaffFactory(is_superuser=True))
    return client


@pytest.mark.parametrize(
    ("url", "data", "message", "model"),
    [
        (
            "/admin/incidents/product/add/",
            {"name": "Synergy 943.476.5919", "current_version": "5.4.2", "is_active": "on"},
            "Name contains “943.476.5919”",
            Product,
        ),
        (
            "/admin/accounts/contract/add/",
            {"name": "Gold 943 476 5919"},
            "Name contains “943 476 5919”",
            Contract,
        ),
        ("/admin/auth/group/add/", {"name": "Ward 9434765919"}, "Name contains “9434765919”", Group),
        (
            "/admin/accounts/practice/add/",
            {
                "name": "Riverside",
                "practice_id": "A81001",
                "country": "england",
                "sites-TOTAL_FORMS": "1",
                "sites-INITIAL_FORMS": "0",
                "sites-0-name": "Branch for 943\u2013476\u20135919",
            },
            "Name contains “943\u2013476\u20135919”",
            Practice,
        ),
    ],
    ids=["product", "contract", "group (another package's admin)", "site (an inline)"],
)
def test_admin_forms_refuse_an_nhs_number_naming_the_field(administrator_client, url, data, message, model):
    response = administrator_client.post(url, {**data, "_save": "Save"})

    assert response.status_code == 200
    assert f"{message}, which looks like an NHS number" in response.content.decode()
    assert not model.objects.filter(name=data.get("name")).exists()
