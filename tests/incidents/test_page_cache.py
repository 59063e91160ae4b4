"""The practice's incident list and incident pages, served from the cache (incidents.pagecache).

A second visit costs fewer queries than the first and shows the same page; every change the pages show
appears on the next visit, whoever makes it; one practice never sees another's cached pages; each
visitor gets a CSRF token of their own; forms with errors, unknown query parameters and an unreachable
cache change nothing anyone else sees.
"""

import re
from datetime import datetime
from html import unescape

import pytest
import redis
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from escalation.models import EscalationLevel
from escalation.services import incident_escalate
from incidents import services
from incidents.attachments import check_uploads
from incidents.models import TimelineEvent
from incidents.pagecache import csrf_placeholder
from servicedesk.lib.support_hours import LONDON
from tests.escalation.conftest import standard_ladder  # noqa: F401 - the seeded ladder (escalation level test)
from tests.factories import IncidentFactory
from tests.incidents.helpers import CACHED_DETAIL_QUERIES, CACHED_LIST_QUERIES, DETAIL_QUERIES, LIST_QUERIES
from tests.incidents.test_attachment_checks import PNG

LIST_URL = "/incidents/"

LOGGED_AT = datetime(2026, 11, 25, 10, 0, tzinfo=LONDON)  # a Wednesday, in support hours
# A Redis server nobody listens on: every cache call fails at once.
UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}
CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')


# --- Helpers --------------------------------------------------------------------------------------


def signed_in(user, **kwargs):
    """A browser of its own, signed in as `user`."""
    client = Client(**kwargs)
    client.force_login(user)
    return client


def page_url(incident, action=""):
    return f"/incidents/{incident.reference}/" + (f"{action}/" if action else "")


def main(response):
    """The page's main content (what the cache holds, and the messages above it), with every CSRF token
    blanked: tokens are masked afresh on each request."""
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert csrf_placeholder() not in html
    return CSRF_VALUE.sub(r"\1…\2", re.search(r"<main\b.*?</main>", html, re.S).group(0))


def list_page(client, query=None):
    return main(client.get(LIST_URL, query or {}))


def incident_page(client, incident):
    return main(client.get(page_url(incident)))


def listed(html):
    """The references in the list, in the order shown."""
    return re.findall(r'<td><a href="/incidents/([^/"]+)/">', html)


def row(html, incident):
    """The incident's row of the list: reference, summary, status, severity, product, reporter, logged."""
    found = re.search(rf'<tr>\s*<td><a href="/incidents/{incident.reference}/">.*?</tr>', html, re.S)
    return [
        unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td>(.*?)</td>", found[0])
    ]


def status_shown(html):
    return re.search(r"Status: <strong>([^<]+)</strong>", html)[1]


def detail(html, label):
    """The value beside `label` in the incident page's details."""
    found = re.search(rf'<dt class="col-sm-4">{label}</dt><dd class="col-sm-8[^"]*">(.*?)</dd>', html, re.S)
    return unescape(found[1])


def sla_line(html):
    return " ".join(re.search(r'<p class="small text-muted" id="sla">(.*?)</p>', html, re.S)[1].split())


def note_form_token(response):
    """The CSRF token in the page's note form."""
    form = re.search(r'<form method="post" action="[^"]*/notes/".*?</form>', response.content.decode(), re.S)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form[0])[1]


def post_note(client, incident, text, token):
    return client.post(page_url(incident, "notes"), {"text": text, "csrfmiddlewaretoken": token})


@pytest.fixture
def incident(practice_user, product, practice):
    """Logged through the portal's service at a known time, at the practice's main site."""
    with time_machine.travel(LOGGED_AT, tick=False):
        return IncidentFactory(
            reporter=practice_user,
            product=product,
            site=practice.sites.get(is_main=True),
            summary="Printer will not print",
        )


@pytest.fixture
def colleague_client(colleague):
    return signed_in(colleague)


@pytest.fixture
def unreachable_cache(settings):
    """The cache (Redis in production) down: Django's setting_changed handler drops the cache
    connections, so the next call connects to the unreachable server."""
    settings.CACHES = UNREACHABLE_CACHE
    with pytest.raises(redis.ConnectionError):
        cache.get("anything")


# --- Served from the cache ------------------------------------------------------------------------


def test_a_second_visit_is_served_from_the_cache_and_looks_the_same(
    user_client, incident, django_assert_num_queries
):
    """Guards against the cache never being used (every visit renders afresh, as many queries as the
    first) and against a cached page that differs from the page it stands for."""
    with django_assert_num_queries(LIST_QUERIES):
        first_list = user_client.get(LIST_URL)
    with django_assert_num_queries(CACHED_LIST_QUERIES):
        second_list = user_client.get(LIST_URL)
    with django_assert_num_queries(DETAIL_QUERIES):
        first_page = user_client.get(page_url(incident))
    with django_assert_num_queries(CACHED_DETAIL_QUERIES):
        second_page = user_client.get(page_url(incident))

    assert listed(main(first_list)) == [incident.reference]
    assert main(second_list) == main(first_list)
    assert status_shown(main(first_page)) == "Logged"
    assert main(second_page) == main(first_page)


def test_signing_in_does_not_empty_the_cache(user_client, colleague, incident, django_assert_num_queries):
    """Guards against every sign-in (which saves the user's last_login) forgetting every practice's
    cached pages, which would make the cache useless at the start of each surgery."""
    warm_list, warm_page = list_page(user_client), incident_page(user_client, incident)

    client = signed_in(colleague)  # saves colleague.last_login
    with django_assert_num_queries(CACHED_LIST_QUERIES):
        again_list = list_page(client)
    with django_assert_num_queries(CACHED_DETAIL_QUERIES):
        again_page = incident_page(client, incident)

    assert (again_list, again_page) == (warm_list, warm_page)


def test_filters_and_pages_each_have_their_own_cached_list(user_client, practice_user, product, incident):
    """Guards against a cache key that leaves out the filter or the page number, so that one filtered
    list, or page one, is shown for another."""
    older = IncidentFactory.create_batch(25, reporter=practice_user, product=product)
    newest_first = [i.reference for i in reversed(older)] + [incident.reference]
    list_page(user_client)  # page one, unfiltered, now cached

    assert listed(list_page(user_client, {"page": "2"})) == [incident.reference]
    assert listed(list_page(user_client, {"status": "investigating"})) == []
    assert listed(list_page(user_client, {"q": incident.reference})) == [incident.reference]
    assert listed(list_page(user_client)) == newest_first[:25]


# --- Changes show on the next visit ---------------------------------------------------------------


def test_a_note_added_in_the_portal_shows_on_the_next_visit(user_client, colleague_client, incident):
    """Guards against the incident page staying cached without the note the practice has just added."""
    assert "The toner is new" not in incident_page(colleague_client, incident)

    response = user_client.post(page_url(incident, "notes"), {"text": "The toner is new."})

    assert response.status_code == 302
    assert "The toner is new." in incident_page(user_client, incident)
    assert "The toner is new." in incident_page(colleague_client, incident)


def test_a_status_change_by_the_desk_shows_on_the_next_visit(user_client, colleague_client, incident, agent):
    """Guards against the list and the page still showing the old status after the Service Desk moved
    the incident on (a change made in admin, outside the portal's own requests)."""
    assert row(list_page(user_client), incident)[2] == "Logged"
    assert status_shown(incident_page(user_client, incident)) == "Logged"

    services.incident_verify(incident, actor=agent)
    services.incident_start_investigation(incident, actor=agent, note="Looking at the print server.")

    for client in (user_client, colleague_client):
        assert row(list_page(client), incident)[2] == "Investigating"
        page = incident_page(client, incident)
        assert status_shown(page) == "Investigating"
        assert "Looking at the print server." in page


def test_a_public_note_from_the_desk_shows_with_its_response_time(colleague_client, incident, agent):
    """Guards against the page keeping 'a response is due' once the desk has answered: the response time
    is set by a bulk update, which sends no signal of its own."""
    page = incident_page(colleague_client, incident)
    assert sla_line(page).startswith("A response is due by 25 Nov 2026 14:00.")

    with time_machine.travel(datetime(2026, 11, 25, 10, 30, tzinfo=LONDON), tick=False):
        services.incident_add_note(incident, actor=agent, text="Please restart the print spooler.")

    page = incident_page(colleague_client, incident)
    assert sla_line(page).startswith("The Service Desk responded on 25 Nov 2026 10:30.")
    assert "Please restart the print spooler." in page


def test_a_purged_note_is_gone_from_the_next_visit(
    user_client, colleague_client, incident, agent, practice_user
):
    """Guards against patient data that the desk purged staying visible on a cached page."""
    services.incident_add_note(incident, actor=practice_user, text="Mrs Example's record will not print.")
    assert "Mrs Example" in incident_page(user_client, incident)
    event = incident.events.get(kind=TimelineEvent.Kind.NOTE)

    services.incident_purge_event(event, actor=agent, reason="Named a patient")

    for client in (user_client, colleague_client):
        page = incident_page(client, incident)
        assert "Mrs Example" not in page
        assert "Removed by the Service Desk." in page


def _cached_pages():
    """Every incident page the fragment cache holds now: in local memory (the tests' default) or in Redis
    (CACHE_URL set), read from the store itself rather than through the keys the code would ask for."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    fragments = caches["template_fragments" if "template_fragments" in settings.CACHES else "default"]
    if isinstance(fragments, LocMemCache):
        keys = list(fragments._cache)
    else:
        pattern = fragments.make_key("template.cache.*")  # this environment's keys only (KEY_PREFIX)
        keys = [key.decode() for key in fragments._cache.get_client().scan_iter(match=pattern)]
    return {key for key in keys if "template.cache.incident_detail" in key}


@pytest.mark.parametrize("purge", ["note", "attachment", "correction"])
def test_purged_or_corrected_text_leaves_the_cache_itself(user_client, incident, agent, practice_user, purge):
    """Guards against purged patient data staying in the cache (Redis), unreachable but kept, until the
    cached page expires: the page holding it is deleted, not only passed over."""
    upload = check_uploads([SimpleUploadedFile("mrs-example.png", PNG)])
    services.incident_add_note(incident, actor=practice_user, text="Mrs Example's record.", uploads=upload)
    incident_page(user_client, incident)
    assert _cached_pages()

    event = incident.events.get(kind=TimelineEvent.Kind.NOTE)
    if purge == "note":
        services.incident_purge_event(event, actor=agent, reason="Named a patient")
    elif purge == "attachment":
        services.incident_purge_attachment(event.attachments.get(), actor=agent, reason="Named a patient")
    else:
        incident.summary = "Record will not print"
        services.incident_correct_details(incident, actor=agent, changed_fields=["summary"])

    assert not _cached_pages()


def test_a_renamed_product_shows_on_the_next_visit(user_client, colleague_client, incident, product):
    """Guards against a product renamed in admin keeping its old name on cached lists and pages (a change
    outside the practice, so its own token is not enough)."""
    assert row(list_page(user_client), incident)[4] == "Synergy Clinical"
    assert detail(incident_page(user_client, incident), "Product").startswith("Synergy Clinical ")

    product.name = "EMIS Web"
    product.save()

    for client in (user_client, colleague_client):
        shown = list_page(client)
        assert row(shown, incident)[4] == "EMIS Web"
        assert "Synergy Clinical" not in shown  # nor in the product filter
        assert detail(incident_page(client, incident), "Product").startswith("EMIS Web ")


def test_the_reporters_new_name_shows_on_the_next_visit(
    user_client, colleague_client, incident, practice_user
):
    """Guards against a person's changed name staying on cached lists and pages, and on their timeline
    entries."""
    assert row(list_page(colleague_client), incident)[5] == "Alex Morgan"
    incident_page(colleague_client, incident)

    practice_user.full_name = "Alex Morgan-Reid"
    practice_user.save()

    for client in (user_client, colleague_client):
        assert row(list_page(client), incident)[5] == "Alex Morgan-Reid"
        page = incident_page(client, incident)
        assert detail(page, "Reported by") == "Alex Morgan-Reid (Portal)"
        assert "<strong>Logged</strong> by Alex Morgan-Reid" in page


def test_a_renamed_site_shows_on_the_next_visit(user_client, colleague_client, incident, practice):
    """Guards against a site renamed in admin keeping its old name on a cached incident page."""
    assert detail(incident_page(user_client, incident), "Site") == "Main"

    site = practice.sites.get(is_main=True)
    site.name = "Riverside Main Surgery"
    site.save()

    assert detail(incident_page(user_client, incident), "Site") == "Riverside Main Surgery"
    assert detail(incident_page(colleague_client, incident), "Site") == "Riverside Main Surgery"


def test_a_renamed_practice_shows_on_the_next_visit(colleague_client, practice):
    """Guards against the list's heading keeping the practice's old name."""
    assert "Incidents for Riverside Medical Centre" in list_page(colleague_client)

    practice.name = "Riverside Health Centre"
    practice.save()

    assert "Incidents for Riverside Health Centre" in list_page(colleague_client)


@pytest.mark.usefixtures("standard_ladder")
def test_a_renamed_escalation_level_shows_on_the_next_visit(user_client, incident, practice_user):
    """Guards against the page naming an escalation level by the name it had before an administrator
    renamed it ('now with the ...' under 'Ask for this incident to be escalated')."""
    incident = incident_escalate(incident, actor=practice_user, reason="Surgery cannot print at all")
    level = EscalationLevel.objects.get(pk=incident.escalation_level_id)
    assert f"(now with the {level.role_name})" in incident_page(user_client, incident)

    level.role_name = "Duty Manager"
    level.save()

    assert "(now with the Duty Manager)" in incident_page(user_client, incident)


def test_a_change_committed_while_a_page_renders_is_not_kept_in_the_cache(
    user_client, colleague_client, incident, agent
):
    """Guards against a page rendered from rows read just before another request's change committed
    being stored under the token made after that change, so that it is served, out of date, to everyone
    until the next change or PAGE_CACHE_SECONDS.

    The desk's change is made right after the page's request has read the incident and before it asks
    for the practice's token: as if it had committed in that moment (its token is forgotten at once, as
    on commit).
    """
    changed = []

    def desk_changes_status_meanwhile(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not changed and sql.startswith("SELECT") and 'FROM "incidents_incident"' in sql:
            changed.append(sql)  # first, so that the change's own queries pass straight through
            services.incident_verify(incident, actor=agent)
        return result

    with connection.execute_wrapper(desk_changes_status_meanwhile):
        user_client.get(page_url(incident))
    assert changed

    assert status_shown(incident_page(colleague_client, incident)) == "Under review"


# --- Practices apart ------------------------------------------------------------------------------


def test_each_practice_sees_only_its_own_cached_pages(
    user_client, outsider, incident, other_incident, django_assert_num_queries
):
    """Guards against a cache key without the practice, which would show one practice's cached list to
    another; and against another practice's changes needlessly emptying this practice's cache."""
    outsider_client = signed_in(outsider)
    for _ in range(2):  # rendered afresh, then from the cache
        ours, theirs = list_page(user_client), list_page(outsider_client)
        assert listed(ours) == [incident.reference]
        assert "Incidents for Riverside Medical Centre" in ours
        assert listed(theirs) == [other_incident.reference]
        assert "Incidents for Hillview Surgery" in theirs
    incident_page(user_client, incident)

    services.incident_add_note(other_incident, actor=outsider, text="Our scanner too.")

    with django_assert_num_queries(CACHED_LIST_QUERIES):
        assert listed(list_page(user_client)) == [incident.reference]
    assert outsider_client.get(page_url(incident)).status_code == 404


# --- CSRF tokens ----------------------------------------------------------------------------------


def test_each_visitor_of_a_cached_page_gets_a_working_token_of_their_own(
    practice_user, colleague, incident, django_assert_num_queries
):
    """Guards against a cached page carrying the token of whoever rendered it first (every later visitor's
    forms would be refused, and one user's token handed to others) or the placeholder itself."""
    alex = signed_in(practice_user, enforce_csrf_checks=True)
    sam = signed_in(colleague, enforce_csrf_checks=True)
    with django_assert_num_queries(DETAIL_QUERIES):
        alex_page = alex.get(page_url(incident))
    with django_assert_num_queries(CACHED_DETAIL_QUERIES):
        sam_page = sam.get(page_url(incident))
    alex_token, sam_token = note_form_token(alex_page), note_form_token(sam_page)

    refused = post_note(sam, incident, "Sent with Alex's token.", alex_token)
    alex_note = post_note(alex, incident, "A note from Alex.", alex_token)
    sam_note = post_note(sam, incident, "A note from Sam.", sam_token)

    assert alex_token != sam_token
    assert refused.status_code == 403
    assert (alex_note.status_code, sam_note.status_code) == (302, 302)
    for response in (alex_page, sam_page, refused, alex_note, sam_note):
        assert csrf_placeholder().encode() not in response.content
    page = incident_page(alex, incident)
    assert "A note from Alex." in page and "A note from Sam." in page
    assert "Sent with Alex" not in page


# --- Forms with errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "data", "error"),
    [
        ("notes", {"text": "  "}, "Write a note or attach a file."),
        ("close", {"close-reason": ""}, "Why is it no longer relevant?: This field is required."),
    ],
    ids=["empty note", "close without a reason"],
)
def test_a_form_with_errors_is_shown_to_its_sender_only(
    user_client, colleague_client, incident, action, data, error
):
    """Guards against a form with errors being answered from the cache (the error never shown) or being
    stored in it (every colleague then sees someone else's error and input)."""
    refused_cold = user_client.post(page_url(incident, action), data)  # nothing cached yet
    clean = incident_page(colleague_client, incident)  # rendered afresh, and cached
    refused_warm = user_client.post(page_url(incident, action), data)  # now cached

    for refused in (refused_cold, refused_warm):
        assert refused.status_code == 400
        assert "There is a problem" in refused.content.decode()
        assert error in unescape(refused.content.decode())
        assert csrf_placeholder().encode() not in refused.content
    assert "There is a problem" not in clean
    assert incident_page(colleague_client, incident) == clean
    assert status_shown(clean) == "Logged"


# --- Pagination links -----------------------------------------------------------------------------


def test_page_links_keep_the_known_filters_and_drop_anything_else(
    user_client, colleague_client, practice_user, product
):
    """Guards against pagination links copying the whole query string: a parameter the form does not know
    (or a crafted one) would be repeated in every link, and in the cached list others are shown."""
    IncidentFactory.create_batch(26, reporter=practice_user, product=product)

    crafted = list_page(user_client, {"status": "logged", "evil": '"><script>alert(1)</script>'})
    plain = list_page(colleague_client, {"status": "logged"})  # the same list, from the cache

    for html in (crafted, plain):
        assert 'href="?status=logged&amp;page=2">Next</a>' in html
        assert "evil" not in html and "script>alert" not in html
    assert crafted == plain


def test_searches_and_far_pages_are_not_cached(user_client, incident):
    """Guards against anyone filling the cache with one entry per address: a search (any text) and a
    page number past the first twenty render afresh every time, and keep nothing. "²" is a digit to
    str.isdigit() but not a page number: it shows the first page (once a 500)."""
    for url in (
        f"{LIST_URL}?q=printer",
        f"{LIST_URL}?q=printer+2",
        f"{LIST_URL}?page=21",
        f"{LIST_URL}?page=²",
    ):
        with CaptureQueriesContext(connection) as first:
            assert user_client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as second:
            assert user_client.get(url).status_code == 200
        assert len(second) == len(first) > CACHED_LIST_QUERIES, url


# --- The cache unreachable ------------------------------------------------------------------------


def test_with_the_cache_unreachable_the_pages_still_show_and_stay_current(
    practice_user, colleague_client, incident, unreachable_cache
):
    """Guards against an error page, or forms whose token is refused, whenever Redis is down: the pages
    render without the cache, with the visitor's own CSRF token, and show every change."""
    alex = signed_in(practice_user, enforce_csrf_checks=True)
    assert listed(list_page(alex)) == [incident.reference]
    page = alex.get(page_url(incident))
    assert status_shown(main(page)) == "Logged"

    response = post_note(alex, incident, "The toner is new.", note_form_token(page))

    assert response.status_code == 302
    assert "The toner is new." in incident_page(colleague_client, incident)
    assert row(list_page(colleague_client), incident)[1] == "Printer will not print"


def test_a_page_cache_time_of_zero_turns_the_cache_off(
    user_client, incident, settings, django_assert_num_queries
):
    """Guards against PAGE_CACHE_SECONDS=0 (the setting that turns the cache off, e.g. to measure the
    pages rendered afresh) still serving cached pages."""
    settings.PAGE_CACHE_SECONDS = 0
    for url, queries in ((LIST_URL, LIST_QUERIES), (incident.get_absolute_url(), DETAIL_QUERIES)):
        user_client.get(url)
        with django_assert_num_queries(queries):
            assert user_client.get(url).status_code == 200
