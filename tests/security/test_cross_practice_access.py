"""Access across practices (broken object-level authorisation, "IDOR"): a user of one practice must not
read or change another practice's incidents, notes, files or escalations by putting that practice's
references and ids in a URL or in a form field, and must not reach staff-only pages.

The sweep is built from the URL configuration (tests/security/url_sweep.py): every portal pattern that
takes a reference or an id is filled with another practice's objects and must answer exactly as for an
object that does not exist (404, never 403, so that a reference reveals nothing). A pattern the sweep
does not know fails `test_every_url_pattern_is_known_to_the_sweep` until someone says what it needs.
"""

import pytest
from django.contrib.auth import get_user_model

from escalation.services import incident_deescalate, incident_escalate
from incidents import services
from incidents.models import Channel, Incident, Status, TimelineEvent
from tests.conftest import login
from tests.factories import ProductFactory, UserFactory, incident_form_data

from .url_sweep import (
    ADMIN,
    LADDER_OBJECT,
    PORTAL,
    PRACTICE_OBJECT,
    ROUTES,
    STAFF,
    admin_routes,
    body,
    build_world,
    changes_between,
    database_state,
    of_access,
    other_site,
    page_text,
    path_for,
    post_data,
    spec,
)

OBJECT_ROUTES = of_access(PRACTICE_OBJECT)


@pytest.fixture
def theirs(outsider, agent):
    """Another practice's incident, note, files and survey link."""
    return build_world(outsider, agent, "Hillview")


@pytest.fixture
def ours(practice_user, agent):
    return build_world(practice_user, agent, "Riverside")


def _send(client, method, path, data):
    return client.post(path, data) if method == "post" else client.get(path)


# --- The sweep knows every URL -----------------------------------------------------------------------


def test_every_url_pattern_is_known_to_the_sweep():
    unknown = [str(route) for route in ROUTES if not route.admin and route.name not in PORTAL]

    assert unknown == [], f"add these patterns to url_sweep.PORTAL: {unknown}"


def test_the_sweep_reaches_every_bookmarked_url_and_every_incident_action():
    patterns = {route.pattern for route in ROUTES}
    swept = {route.name for route in OBJECT_ROUTES}

    assert {
        "accounts/login/",
        "accounts/register/",
        "incidents/",
        "incidents/new/",
        "escalations/",
    } <= patterns
    assert {"surveys/<str:token>/", "contact/", "admin/", "healthz"} <= patterns
    assert swept == {
        "incidents:detail", "incidents:add_note", "incidents:request_progress", "incidents:confirm",
        "incidents:reject", "incidents:close", "escalation:ask", "incidents:attachment",
        "incidents:complete_details", "incidents:attachment_thumbnail", "incidents:attachment_large",
        "incidents:reopen", "incidents:follow", "incidents:remote_access", "incidents:attachment_confirm",
        "incidents:attachment_redact", "known_issues:detail", "known_issues:affects_us",
    }  # fmt: skip


def test_no_allow_list_entry_is_stale():
    """An entry for a pattern that no longer exists would let a renamed URL escape the sweep unnoticed."""
    names = {route.name for route in ROUTES}

    assert set(PORTAL) - names == set()


# --- Another practice's objects in the path -----------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=str)
def test_another_practices_object_answers_like_one_that_does_not_exist(
    client, practice_user, theirs, route, method
):
    login(client, practice_user)
    path = path_for(route, theirs)
    data = post_data(route, theirs)
    before = database_state()

    response = _send(client, method, path, data)
    unknown = _send(client, method, path_for(route, theirs, unknown=True), data)

    expected = 405 if method == "get" and spec(route).post_only else 404
    assert response.status_code == unknown.status_code == expected
    assert page_text(response) == page_text(unknown)
    for secret in theirs.secrets:
        assert secret not in page_text(response)
    assert changes_between(before, database_state()) == []


@pytest.mark.parametrize("who", ["agent", "team_leader"])
@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=str)
def test_desk_staff_get_404_on_every_portal_object_url_too(client, request, theirs, route, who):
    """Staff work in admin; the portal's pages belong to practices and answer staff as strangers."""
    login(client, request.getfixturevalue(who))
    before = database_state()

    response = client.post(path_for(route, theirs), post_data(route, theirs))

    assert response.status_code == 404
    assert changes_between(before, database_state()) == []


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=str)
def test_the_owning_practice_reaches_every_swept_url(client, theirs, route):
    """The control for the sweep above: the same paths and forms work for the practice they belong to, so
    the 404s there come from the practice check, not from a wrongly filled URL or an invalid form."""
    colleague = UserFactory(practice=theirs.practice)
    login(client, colleague)
    path = path_for(route, theirs)
    if route.name == "incidents:reopen":  # only a closed incident can be reopened
        services.incident_confirm(theirs.incident, actor=theirs.user)
    before = database_state()

    if spec(route).post_only:
        assert client.get(path).status_code == 405
        response = client.post(path, post_data(route, theirs))
        assert response.status_code == 302
        if route.name == "known_issues:affects_us":  # a new incident of theirs, linked to the known issue
            assert response.url == Incident.objects.get(known_issue=theirs.known_issue).get_absolute_url()
        else:
            assert response.url == theirs.incident.get_absolute_url()
        assert changes_between(before, database_state()) != []
    else:
        response = client.get(path)
        assert response.status_code == 200
        assert page_text(response)  # a page or the file, read (and closed)
        # Practices share PCs: neither the browser nor a proxy keeps a page or a file.
        assert {"no-store", "private"} <= set(response["Cache-Control"].replace(" ", "").split(","))


NOT_REFERENCES = [  # (a NUL character is refused before any view: tests/security/test_nul_characters.py)
    pytest.param("%27%20OR%20%271%27%3D%271", id="sql-quote"),
    pytest.param("%25", id="like-wildcard"),
    pytest.param("PC00000%5F", id="like-underscore"),
    pytest.param("*", id="star"),
    pytest.param("..", id="dot-dot"),
    pytest.param("%2E%2E%5C%2E%2E", id="encoded-dot-dot-backslash"),
    pytest.param("PC" + "9" * 500, id="very-long"),
    pytest.param("%EF%BC%B0%EF%BC%A3000001", id="full-width-letters"),
]


@pytest.mark.parametrize("reference", NOT_REFERENCES)
@pytest.mark.parametrize("route", [r for r in OBJECT_ROUTES if "reference" in r.params], ids=str)
def test_a_reference_that_is_not_one_is_not_found(client, practice_user, ours, route, reference):
    """Whatever is typed where a reference goes, the answer is the not-found page: no error, no match by
    pattern (the user's own incident is not found by a wildcard or a look-alike)."""
    login(client, practice_user)
    path = path_for(route, ours, replace={"reference": reference})
    before = database_state()

    response = client.post(path, post_data(route, ours))

    assert response.status_code == 404
    assert changes_between(before, database_state()) == []


def test_an_attachment_id_of_another_practice_under_ones_own_reference_is_not_found(
    client, practice_user, ours, theirs
):
    login(client, practice_user)

    mixed = client.get(f"/incidents/{ours.incident.reference}/attachments/{theirs.attachment.pk}/")
    own = client.get(f"/incidents/{ours.incident.reference}/attachments/{ours.attachment.pk}/")

    assert mixed.status_code == 404
    assert own.status_code == 200
    assert body(own).startswith(b"\x89PNG")


def test_a_desk_internal_file_of_ones_own_incident_is_not_found(client, practice_user, ours):
    login(client, practice_user)

    response = client.get(f"/incidents/{ours.incident.reference}/attachments/{ours.internal_attachment.pk}/")

    assert response.status_code == 404


def test_another_practices_references_and_files_are_not_linked_from_ones_own_pages(
    client, practice_user, ours, theirs
):
    login(client, practice_user)

    pages = [client.get("/incidents/"), client.get(ours.incident.get_absolute_url())]

    for page in pages:
        assert page.status_code == 200
        for secret in theirs.secrets:
            assert secret not in page_text(page)
        assert f"/attachments/{theirs.attachment.pk}/" not in page_text(page)
    assert ours.incident.reference in page_text(pages[0])


# --- Another practice's ids in form fields -----------------------------------------------------------


def test_logging_an_incident_at_another_practices_site_is_refused(
    client, practice_user, other_practice, product
):
    login(client, practice_user)
    elsewhere = other_site(other_practice)

    response = client.post("/incidents/new/", incident_form_data(practice_user, product, site=elsewhere.pk))

    assert response.status_code == 400
    assert "site" in response.context["form"].errors
    assert not Incident.objects.exists()


def test_logging_an_incident_against_a_withdrawn_product_is_refused(client, practice_user):
    login(client, practice_user)
    withdrawn = ProductFactory(name="Withdrawn product", is_active=False)

    response = client.post("/incidents/new/", incident_form_data(practice_user, withdrawn))

    assert response.status_code == 400
    assert "product" in response.context["form"].errors
    assert not Incident.objects.exists()


def test_fields_the_log_form_does_not_offer_are_ignored(
    client, practice_user, outsider, other_practice, product
):
    """Mass assignment: ids of another practice, another reporter, a status or an assignee added to the
    form by hand do not reach the incident."""
    login(client, practice_user)
    forged = {
        "practice": other_practice.pk,
        "practice_id": other_practice.pk,
        "reporter": outsider.pk,
        "logged_by": outsider.pk,
        "assignee": outsider.pk,
        "channel": Channel.PHONE,
        "status": Status.CLOSED,
        "reference": "PC777777",
        "escalation_level": 3,
    }

    response = client.post("/incidents/new/", incident_form_data(practice_user, product, **forged))

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert (incident.practice, incident.reporter) == (practice_user.practice, practice_user)
    assert (incident.channel, incident.status) == (Channel.PORTAL, Status.LOGGED)
    assert incident.assignee is None and incident.escalation_level is None
    assert incident.reference != "PC777777"


def test_a_note_lands_on_the_incident_in_the_path_whatever_the_form_says(client, practice_user, ours, theirs):
    login(client, practice_user)
    theirs_before = list(theirs.incident.events.values_list("pk", flat=True))

    response = client.post(
        f"{ours.incident.get_absolute_url()}notes/",
        {"text": "Forged note", "incident": theirs.incident.pk, "public": "", "event": theirs.note.pk},
    )

    assert response.status_code == 302
    note = TimelineEvent.objects.get(text="Forged note")
    assert note.incident == ours.incident
    assert note.public is True  # practice notes are always public: the desk cannot miss them
    assert list(theirs.incident.events.values_list("pk", flat=True)) == theirs_before


# --- Escalations: only the levels the user works -----------------------------------------------------


@pytest.fixture
def leader(team_leader, theirs):
    """A team leader on the first rung of the ladder (where `theirs` is escalated)."""
    theirs.incident.escalation_level.contacts.add(team_leader)
    return team_leader


def _acknowledge(client, incident):
    return client.post(f"/escalations/{incident.pk}/acknowledge/")


def test_acknowledging_an_incident_at_someone_elses_level_is_not_found(client, leader, theirs, agent):
    higher = incident_escalate(theirs.incident, actor=agent, reason="Still not fixed")
    login(client, leader)

    response = _acknowledge(client, higher)
    queue = client.get("/escalations/")

    assert response.status_code == 404
    higher.refresh_from_db()
    assert higher.escalation_acknowledged_at is None
    assert higher.reference not in page_text(queue)


def test_acknowledging_an_incident_not_escalated_at_all_is_not_found(client, leader, ours):
    incident_deescalate(ours.incident, actor=ours.agent, reason="Sorted")
    login(client, leader)

    assert _acknowledge(client, ours.incident).status_code == 404


def test_a_leader_acknowledges_an_incident_at_their_own_level(client, leader, theirs):
    """The control: the same request for an incident at the leader's level works."""
    login(client, leader)

    response = _acknowledge(client, theirs.incident)

    assert response.status_code == 302
    theirs.incident.refresh_from_db()
    assert theirs.incident.escalation_acknowledged_at is not None


@pytest.mark.parametrize("who", ["practice_user", "outsider", "agent"])
def test_nobody_off_the_ladder_acknowledges_anything_and_the_answer_reveals_nothing(
    client, request, theirs, who
):
    login(client, request.getfixturevalue(who))

    existing = _acknowledge(client, theirs.incident)
    missing = client.post("/escalations/987654321/acknowledge/")

    assert existing.status_code == missing.status_code == 403
    assert page_text(existing) == page_text(missing)
    theirs.incident.refresh_from_db()
    assert theirs.incident.escalation_acknowledged_at is None


# --- Staff-only pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("route", of_access(STAFF, LADDER_OBJECT), ids=str)
@pytest.mark.parametrize("who", ["practice_user", "agent"])
def test_staff_pages_refuse_practice_users_and_agents_without_the_role(client, request, theirs, route, who):
    """The queues are for staff on the ladder, the survey results for holders of surveys.view_response;
    an agent has neither."""
    login(client, request.getfixturevalue(who))
    path = path_for(route, theirs)
    before = database_state()

    response = client.post(path) if spec(route).post_only else client.get(path)

    assert response.status_code == 403
    for secret in theirs.secrets:
        assert secret not in page_text(response)
    assert changes_between(before, database_state()) == []


def test_a_team_leader_off_the_ladder_is_refused_the_queue_but_reads_survey_results(
    client, team_leader, theirs
):
    login(client, team_leader)

    assert client.get("/escalations/").status_code == 403
    assert client.post(f"/escalations/{theirs.incident.pk}/acknowledge/").status_code == 403
    assert client.get("/surveys/results/").status_code == 200


@pytest.mark.parametrize("route", admin_routes(), ids=str)
def test_admin_refuses_practice_users_on_every_admin_url(client, practice_user, theirs, route):
    login(client, practice_user)
    path = path_for(route, theirs)
    before = database_state()

    got = client.get(path)
    posted = client.post(path, post_data(route, theirs))

    assert spec(route).access == ADMIN
    assert changes_between(before, database_state()) == []
    for response in (got, posted):
        for secret in theirs.secrets:
            assert secret not in page_text(response)
        if route.name == "admin:login":
            assert response.status_code == 200  # the sign-in form, saying this account may not use admin
            assert "not authorized" in page_text(response)
        elif route.name == "admin:logout":  # nobody of admin's to sign out: back to admin's front page
            assert response.status_code == 302
            assert response.url == "/admin/"
        else:
            assert response.status_code == 302
            assert response.url.startswith("/admin/login/?next=/admin/")


def test_an_agent_of_the_desk_sees_every_practice_in_admin(client, agent, ours, theirs):
    """The control for the admin sweep: the same URLs answer desk staff."""
    login(client, agent)

    page = client.get("/admin/incidents/incident/")

    assert page.status_code == 200
    assert ours.incident.reference in page_text(page)
    assert theirs.incident.reference in page_text(page)


def _admin_routes_with_ids():
    return [
        route
        for route in admin_routes()
        if set(route.params) & {"object_id", "pk", "event_id", "attachment_id", "id"}
    ]


@pytest.mark.parametrize("route", _admin_routes_with_ids(), ids=str)
def test_an_admin_id_that_does_not_exist_is_not_found_not_an_error(client, theirs, route):
    """Ids typed or guessed into admin URLs (posted, to a view that takes only POST): not found (or back to
    the list), never a server error."""
    login(client, get_user_model().objects.create_superuser(email="root@servicedesk.example", password="x"))

    path = path_for(route, theirs, unknown=True)
    response = client.post(path) if spec(route).post_only else client.get(path)

    assert response.status_code in (302, 403, 404)
