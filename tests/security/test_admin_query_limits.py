"""Admin lists take only what they offer (servicedesk.lib.admin.BoundedQueries): a hand-made filter, a
value a filter cannot take, or a search of hundreds of words is answered at once with a clear refusal,
never with a server error or a worker tied up for seconds."""

import pytest
from django.contrib import admin
from django.db import models

from incidents.models import Incident
from servicedesk.lib.admin import SEARCH_MAX_CHARACTERS, SEARCH_MAX_WORDS
from tests.conftest import login
from tests.factories import IncidentFactory, ProductFactory, StaffFactory

HUGE = "9" * 30


@pytest.fixture
def superuser_client(client, db):
    return login(client, StaffFactory(is_superuser=True))


def _changelist_url(model):
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


def _first_field(model, kinds):
    return next((f.name for f in model._meta.concrete_fields if isinstance(f, kinds)), None)


def _hostile_lookups():
    """(model, lookup, value) for every model admin: a broken pattern on a text field, a year past any
    calendar on a date field, and numbers past any column on the key."""
    for model in admin.site._registry:
        text = _first_field(model, (models.CharField, models.TextField))
        date = _first_field(model, (models.DateField,))  # DateTimeField is a DateField
        if text:
            yield model, f"{text}__regex", "("
        if date:
            yield model, f"{date}__year", "99999999999"
        hierarchy = admin.site._registry[model].date_hierarchy
        if hierarchy:  # Django reads these itself, and a year after 9999 has no end
            yield model, f"{hierarchy}__year", "9999"
            yield model, f"{hierarchy}__year", "0"
        yield model, "pk__in", "abc"
        yield model, "id__gt", HUGE


@pytest.mark.parametrize(
    ("model", "lookup", "value"),
    list(_hostile_lookups()),
    ids=lambda v: v._meta.label if isinstance(v, type) else str(v),
)
def test_every_admin_list_refuses_a_lookup_it_does_not_offer(
    superuser_client, incident, model, lookup, value
):
    response = superuser_client.get(_changelist_url(model), {lookup: value})

    assert response.status_code == 400
    assert "The address asks for something this page does not offer" in response.text


@pytest.mark.parametrize(
    "params",
    [{"severity__exact": "abc"}, {"product__id__exact": "abc"}, {"severity__exact": "1.5"}],
    ids=repr,
)
def test_a_value_an_offered_filter_cannot_take_is_a_bad_request(agent_client, incident, params):
    ProductFactory(name="Second product")  # with one product only, admin offers no product filter
    response = agent_client.get("/admin/incidents/incident/", params)

    assert response.status_code == 400
    assert "The address asks for something this page does not offer" in response.text
    assert incident.reference not in response.text


def test_the_offered_filters_still_filter(agent_client, incident, practice_user, product):
    severe = IncidentFactory(reporter=practice_user, product=product, severity=2, summary="Down")

    response = agent_client.get("/admin/incidents/incident/", {"severity__exact": "2"})

    assert response.status_code == 200
    assert severe.reference in response.text
    assert incident.reference not in response.text


@pytest.fixture
def printer(practice_user, product):
    return IncidentFactory(reporter=practice_user, product=product, summary="Printer queue stuck")


def test_a_search_of_more_words_than_allowed_finds_nothing_and_says_why(agent_client, printer):
    words = ["printer"] + [f"word{n}" for n in range(899)]

    response = agent_client.get("/admin/incidents/incident/", {"q": " ".join(words)})

    assert response.status_code == 200
    assert printer.reference not in response.text
    assert f"Search with at most {SEARCH_MAX_WORDS} words" in response.text
    assert "this search had 900 words" in response.text


def test_a_search_longer_than_allowed_finds_nothing_and_says_why(agent_client, printer):
    response = agent_client.get("/admin/incidents/incident/", {"q": "printer " + "q" * SEARCH_MAX_CHARACTERS})

    assert printer.reference not in response.text
    assert f"{SEARCH_MAX_CHARACTERS} characters" in response.text


def test_a_search_within_the_limits_finds_as_before(agent_client, printer):
    words = ["printer", "queue", *["stuck"] * (SEARCH_MAX_WORDS - 2)]

    response = agent_client.get("/admin/incidents/incident/", {"q": " ".join(words)})

    assert printer.reference in response.text
    assert "Search with at most" not in response.text
    assert Incident.objects.count() == 1


@pytest.mark.parametrize(
    ("path", "lookup"),
    [
        ("/admin/accounts/user/", "password__startswith"),
        ("/admin/surveys/invitation/", "token__startswith"),
        ("/admin/otp_totp/totpdevice/", "key__startswith"),
        ("/admin/incidents/incident/", "remote_access_details__icontains"),
    ],
)
def test_no_secret_can_be_read_a_character_at_a_time_from_a_list(superuser_client, incident, path, lookup):
    """Which rows a filter leaves would tell a secret's first characters; admin offers no such filter."""
    response = superuser_client.get(path, {lookup: "a"})

    assert response.status_code == 400
