"""NUL characters: guards against a request that carries one reaching the database, which PostgreSQL
refuses with an error (a 500 wherever it happens): in a path (`/incidents/PC%00/`), a list filter
(`/admin/incidents/incident/?practice_id=%00`) or a form field. Every such request answers 400 first
(servicedesk.lib.middleware.RefuseNulMiddleware), on every URL of the sweep."""

import pytest

from tests.conftest import login

from .url_sweep import ROUTES, build_world, path_for


@pytest.fixture
def world(practice_user, agent):
    return build_world(practice_user, agent, "Riverside")


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_a_nul_in_the_query_string_is_refused_on_every_url(client, agent, world, route):
    path = path_for(route, world)

    for who in (None, agent):
        if who:
            login(client, who)
        response = client.get(path, {"status": "\x00", "practice_id": "x\x00y"})
        assert response.status_code == 400, (path, who)
        assert "NUL" in response.content.decode()


# A number or a slug in the path cannot carry a NUL: the pattern does not match, the answer is 404.
TEXT_PARAMETERS = [
    r for r in ROUTES if r.params and not r.admin and "<int:" not in r.pattern and "<slug:" not in r.pattern
]


@pytest.mark.parametrize("route", TEXT_PARAMETERS, ids=str)
def test_a_nul_in_a_path_parameter_is_refused(client, world, route):
    param = route.params[0]

    response = login(client, world.user).get(path_for(route, world, replace={param: "PC%00"}))

    assert response.status_code == 400


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/register/", "/accounts/password_reset/", "/incidents/new/"]
)
def test_a_nul_in_a_form_field_is_refused_and_nothing_is_saved(client, world, path):
    from incidents.models import Incident

    before = Incident.objects.count()

    data = {"username": "a\x00b", "summary": "x\x00", "email": "\x00"}

    response = login(client, world.user).post(path, data)

    assert response.status_code == 400
    assert Incident.objects.count() == before
