"""Sort, filter and paging parameters outside the allow-list (query-string injection): a hand-made
query string on the practice's incident list, on admin's changelists or on the survey results must not
cause a server error, must not show another practice's incidents, and must not let anyone filter by a
field that is not offered, such as a password hash or a secret token, and so read it one character at a
time from the number of matches.
"""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from surveys.models import Invitation
from tests.conftest import login
from tests.factories import IncidentFactory, ProductFactory

from .url_sweep import build_world, page_text

# (A NUL character in any parameter is refused before any view: tests/security/test_nul_characters.py.)
HUGE = "9" * 30  # past any integer column


@pytest.fixture
def ours(practice_user):
    return IncidentFactory(
        reporter=practice_user, product=ProductFactory(name="Shared product"), summary="Printer jammed"
    )


@pytest.fixture
def theirs(outsider):
    return IncidentFactory(
        reporter=outsider,
        product=ProductFactory(name="Hillview only product"),
        summary="Hillview confidential fault",
    )


def listed(response):
    """The references of the incidents the portal's list shows."""
    prefix = settings.INCIDENT_REFERENCE_PREFIX
    return re.findall(rf'<td><a href="/incidents/({prefix}\d+)/">', page_text(response))


def admin_listed(response):
    prefix = settings.INCIDENT_REFERENCE_PREFIX
    return sorted(set(re.findall(rf">({prefix}\d+)</a>", page_text(response))))


# --- The practice's incident list -------------------------------------------------------------------

# Parameters that are not filters of the list, or are filters with a value outside their choices: the
# list shows the practice's incidents as if they were absent (an invalid filter is reported and left out).
IGNORED = [
    {"status": "DROP TABLE incidents_incident"},
    {"status": "logged' OR '1'='1"},
    {"status": ["logged", "closed' --"]},
    {"severity": "abc"},
    {"severity": "-1"},
    {"severity": "1.5"},
    {"severity": HUGE},
    {"product": "abc"},
    {"product": "-1"},
    {"product": HUGE},
    {"product": "1 OR 1=1"},
    {"q": "x" * 1000},
    {"page": "-1"},
    {"page": "0"},
    {"page": "99999"},
    {"page": "abc"},
    {"page": "1e9"},
    {"page": HUGE},
    {"o": "-practice"},
    {"o": "999"},
    {"ordering": "reporter__password"},
    {"sort": "practice"},
    {"reporter__password__startswith": "md5"},
    {"practice__name__icontains": "Hillview"},
]


@pytest.mark.parametrize("params", IGNORED, ids=repr)
def test_parameters_outside_the_allow_list_change_nothing_on_the_list(user_client, ours, theirs, params):
    response = user_client.get("/incidents/", params)

    assert response.status_code == 200
    assert listed(response) == [ours.reference]
    assert theirs.summary not in page_text(response)


@pytest.mark.parametrize("param", ["practice", "practice_id", "practice__id", "reporter", "reporter_id"])
def test_naming_another_practice_in_the_query_string_shows_only_ones_own(
    user_client, ours, theirs, outsider, param
):
    value = {
        "practice": theirs.practice_id,
        "practice_id": theirs.practice.practice_id,
        "practice__id": theirs.practice_id,
        "reporter": outsider.pk,
        "reporter_id": outsider.pk,
    }[param]

    response = user_client.get("/incidents/", {param: value})

    assert response.status_code == 200
    assert listed(response) == [ours.reference]


@pytest.mark.parametrize(
    "q",
    ["%", "_", "%%", "' OR '1'='1", "') OR 1=1 --", "*", ".*", "\\", "%' --"],
)
def test_search_text_is_matched_literally_not_as_a_pattern(user_client, ours, theirs, q):
    """% and _ are LIKE wildcards and quotes end SQL strings; typed in the search box they are just
    characters, which no summary here contains."""
    response = user_client.get("/incidents/", {"q": q})

    assert response.status_code == 200
    assert listed(response) == []


@pytest.mark.parametrize("field", ["q_reference", "q_summary", "product", "status"])
def test_filtering_for_another_practices_incident_finds_nothing(user_client, ours, theirs, field):
    params = {
        "q_reference": {"q": theirs.reference},
        "q_summary": {"q": theirs.summary},
        "product": {"product": theirs.product_id},
        "status": {"status": theirs.status, "severity": theirs.severity, "q": "Hillview"},
    }[field]

    response = user_client.get("/incidents/", params)

    assert response.status_code == 200
    assert listed(response) == []
    assert theirs.summary not in page_text(response).replace(f'value="{theirs.summary}"', "")


def test_the_list_control_a_valid_filter_applies(user_client, ours, theirs):
    """The control: the allow-listed filters do filter, so the cases above are not a list that ignores
    everything."""
    assert listed(user_client.get("/incidents/", {"q": "printer"})) == [ours.reference]
    assert listed(user_client.get("/incidents/", {"status": "closed"})) == []


# --- Admin changelists ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"o": "999"},
        {"o": "abc"},
        {"o": "-"},
        {"o": "1.999.-5"},
        {"o": "0.0.0"},
        {"o": "1; DROP TABLE incidents_incident"},
        {"o": "-999999999999999999999"},
        {"status__exact": "DROP TABLE"},
        {"severity__exact": "abc"},
        {"severity__exact": HUGE},
        {"product__id__exact": "abc"},
        {"product__id__exact": HUGE},
        {"sla": "anything"},
        {"practice_id": "'; DROP TABLE --"},
        {"q": "' OR 1=1 --"},
        {"q": "%"},
        {"p": "-1"},
        {"p": "99999"},
        {"p": "abc"},
        {"e": "1"},
        {"all": "1"},
        {"_popup": "1", "_to_field": "id"},
    ],
    ids=repr,
)
def test_admin_changelist_takes_any_parameter_without_an_error(agent_client, ours, theirs, params):
    response = agent_client.get("/admin/incidents/incident/", params)

    assert response.status_code in (200, 302, 400)
    if response.status_code == 302:
        assert response.url.startswith("/admin/incidents/incident/?e=1")


@pytest.mark.parametrize(
    "lookup",
    [
        "reporter__password__startswith",
        "reporter__email__startswith",
        "assignee__password__startswith",
        "practice__contract__name__startswith",
        "events__text__icontains",
        "reporter__groups__permissions__codename",
    ],
)
def test_admin_refuses_lookups_across_relations_it_does_not_offer(agent_client, ours, theirs, lookup):
    """A lookup admin does not offer as a filter is refused outright (400), so no count or list can
    tell what it matched."""
    response = agent_client.get("/admin/incidents/incident/", {lookup: "a"})

    assert response.status_code == 400
    assert ours.reference not in page_text(response)


def test_admin_filters_by_the_offered_practice_id(agent_client, ours, theirs):
    """The control: an offered filter does filter."""
    response = agent_client.get("/admin/incidents/incident/", {"practice_id": theirs.practice.practice_id})

    assert admin_listed(response) == [theirs.reference]


def _changelist(client, model, **params):
    """(status, ids of the objects listed) of admin's changelist of `model` ("app/model")."""
    response = client.get(f"/admin/{model}/", params)
    return response.status_code, sorted(
        set(re.findall(rf"/admin/{model}/(\d+)/change/", page_text(response)))
    )


def _user_changelist(client, **params):
    return _changelist(client, "accounts/user", **params)


def test_agents_cannot_filter_users_by_password_hash(agent_client, agent, practice_user):
    """Agents hold accounts.view_user; a password-hash filter would let them read every hash, a
    superuser's too, one character at a time from the list (Django's UserAdmin refuses it: the portal's
    UserAdmin must keep inheriting that)."""
    hasher_prefix = get_user_model().objects.get(pk=practice_user.pk).password.split("$")[0] + "$"

    status, shown = _user_changelist(agent_client, password__startswith=hasher_prefix)

    assert status == 400
    assert shown == []


def test_agents_filter_users_by_an_offered_filter(agent_client, agent, practice_user):
    """The control for the above."""
    status, shown = _user_changelist(agent_client, is_staff__exact="0")

    assert status == 200
    assert shown == [str(practice_user.pk)]


def test_team_leaders_cannot_filter_invitations_by_their_secret_token(
    client, team_leader, practice_user, agent
):
    world = build_world(practice_user, agent, "Riverside")
    login(client, team_leader)
    token = Invitation.objects.get(pk=world.invitation.pk).token

    matching = _changelist(client, "surveys/invitation", token__startswith=token[:1])
    offered = _changelist(client, "surveys/invitation", round__id__exact=world.invitation.round_id)

    assert matching == (400, [])
    assert offered == (200, [str(world.invitation.pk)])  # the control: an offered filter works


def test_remote_access_details_cannot_be_searched_for_in_admin(agent_client, practice_user, agent):
    """Agents without incidents.view_remote_access must not learn the details by filtering on them."""
    world = build_world(practice_user, agent, "Riverside")
    secret_word = world.secrets[4].split()[-1]

    response = agent_client.get(
        "/admin/incidents/incident/", {"remote_access_details__icontains": secret_word}
    )

    assert response.status_code == 400
    assert world.incident.reference not in admin_listed(response)


def test_admin_autocomplete_refuses_fields_it_does_not_offer(agent_client, ours):
    response = agent_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "incidents",
            "model_name": "incident",
            "field_name": "remote_access_details",
            "term": "a",
        },
    )

    assert response.status_code == 403


def test_admin_refuses_a_popup_that_returns_the_password_field(agent_client, practice_user):
    response = agent_client.get("/admin/accounts/user/", {"_popup": "1", "_to_field": "password"})

    assert response.status_code == 400
    assert get_user_model().objects.get(pk=practice_user.pk).password not in page_text(response)


# --- Survey results -----------------------------------------------------------------------------------


@pytest.fixture
def manager_client(client, team_leader):
    return login(client, team_leader)


@pytest.mark.parametrize("path", ["/surveys/results/", "/surveys/results.csv"])
@pytest.mark.parametrize(
    "params",
    [
        {"start": "DROP TABLE"},
        {"start": "2026-13"},
        {"start": "0000-01"},
        {"end": "99999-12"},
        {"start": "2026-10", "end": "2026-01"},
        {"start": "2026-10-01' OR '1'='1"},
        {"end": "-1"},
    ],
    ids=repr,
)
def test_survey_results_refuse_a_month_they_cannot_read(manager_client, path, params):
    response = manager_client.get(path, params)

    assert response.status_code == 400
    assert "month" in page_text(response).lower() or "valid date" in page_text(response).lower()


@pytest.mark.parametrize(
    "params",
    [
        {"page": "-1"},
        {"page": "99999"},
        {"page": "abc"},
        {"o": "customer__password"},
        {"question": "1 OR 1=1"},
        {"start": "0001-01", "end": "9999-12"},
    ],
    ids=repr,
)
def test_survey_results_take_other_parameters_without_an_error(manager_client, params):
    response = manager_client.get("/surveys/results/", params)

    assert response.status_code == 200


def test_survey_results_control_a_valid_range_is_accepted(manager_client):
    response = manager_client.get("/surveys/results.csv", {"start": "2026-01", "end": "2026-10"})

    assert response.status_code == 200
    assert 'filename="survey-responses-2026-01-to-2026-10.csv"' in response["Content-Disposition"]
    page_text(response)  # read the stream to the end
