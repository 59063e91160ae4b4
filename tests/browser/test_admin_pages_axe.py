"""axe on the admin pages the desk works in (issue 17): 0 serious or critical violations, enforced, in the
light and the dark scheme. Admin's own record pages that nobody changed are not listed; each page the desk's
tools add or change is."""

import importlib

import django.apps
import pytest

from tests.browser.axe import check_both_schemes
from tests.browser.conftest import needs_chromium, sign_in
from tests.factories import PASSWORD, IncidentFactory, StaffFactory

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]

# Pages by path; {open} and the like are the admin keys of `incidents_in_every_state`'s incidents.
ADMIN_PAGES = [
    "/admin/",
    "/admin/incidents/incident/",
    "/admin/incidents/incident/?state=closed",
    "/admin/incidents/incident/add/",
    "/admin/incidents/incident/{open}/change/",
    "/admin/incidents/incident/{closed}/change/",
    "/admin/incidents/incident/{open}/act/resolve/",
    "/admin/incidents/incident/{open}/act/note/",
    "/admin/incidents/incident/{open}/act/change_severity/",
    "/admin/incidents/incident/{open}/act/schedule_fix/",
    "/admin/incidents/incident/{open}/act/mark_duplicate/",
    "/admin/incidents/incident/{open}/act/link_related/",
    "/admin/incidents/incident/{logged}/change/",  # with the triage form
    "/admin/incidents/release/",
    "/admin/incidents/release/{release}/change/",
    "/admin/incidents/release/mark-shipped/?ids={release}",
    "/admin/incidents/incident/{open}/act/declare_known_issue/",
    "/admin/incidents/incident/{open}/act/link_known_issue/",
    "/admin/incidents/knownissue/",
    "/admin/incidents/knownissue/add/",
    "/admin/incidents/knownissue/{known_issue}/change/",  # its practices, incidents and updates
    "/admin/incidents/knownissue/{known_issue}/act/update/",
    "/admin/incidents/knownissue/{known_issue}/act/schedule/",
    "/admin/incidents/cannedreply/",
    "/admin/incidents/cannedreply/add/",
    "/admin/escalation/escalationlevel/{level}/change/",  # its contacts per product and per contract
    "/admin/accounts/accountrequest/",
    "/admin/knowledge/article/",
    "/admin/knowledge/article/add/",
    "/admin/knowledge/article/{article}/change/",  # with its revisions
    "/admin/knowledge/article/{article}/revisions/2/",  # an old version, with what changed
]


@pytest.fixture
def admin_keys(incidents_in_every_state, product):
    import datetime

    from django.utils import timezone

    from escalation.models import EscalationLevel, LevelContact
    from incidents.known_issues import known_issue_declare, known_issue_link_incident, known_issue_post_update
    from incidents.models import CannedReply, Incident, Release

    keys = {
        name: Incident.objects.get(reference=reference).pk
        for name, reference in incidents_in_every_state.items()
    }
    target = timezone.localdate() + datetime.timedelta(days=30)  # a release still to come, whenever this runs
    keys["release"] = Release.objects.create(product=product, version="5.5.0", target_date=target).pk
    reporter = Incident.objects.get(pk=keys["open"]).reporter
    keys["logged"] = IncidentFactory(reporter=reporter, product=product, summary="Docman will not open").pk
    CannedReply.objects.create(title="Looking into it", text="{agent} is looking into {reference} now.")
    # The standard ladder, as its migration makes it (a transactional test before may have emptied it).
    importlib.import_module("escalation.migrations.0004_standard_ladder").create(django.apps.apps, None)
    level = EscalationLevel.objects.order_by("position").first()
    LevelContact.objects.create(level=level, person=StaffFactory(full_name="Drew Fletcher"), product=product)
    keys["level"] = level.pk
    keys["article"] = _article_with_two_versions(product)
    agent = StaffFactory(full_name="Casey Agent")
    known_issue = known_issue_declare(actor=agent, product=product, title="Prescriptions print blank",
                                      symptoms="The FP10 is blank.", severity=2)  # fmt: skip
    known_issue_link_incident(known_issue, Incident.objects.get(pk=keys["logged"]), actor=agent)
    known_issue_post_update(known_issue, actor=agent, text="The supplier has reproduced it.")
    keys["known_issue"] = known_issue.pk
    return keys


def _article_with_two_versions(product):
    from knowledge.models import Article
    from knowledge.services import article_save

    writer = StaffFactory(full_name="Robin Lead")
    article = Article(title="Printing prescriptions", slug="printing-prescriptions", published=True)
    article.body = "Check the printer.\n\n| Setting | Value |\n|---|---|\n| Tray | 2 |"
    article_save(article, actor=writer)
    article.products.set([product])
    article.body = "Check that **tray 2** holds FP10 paper.\n\n| Setting | Value |\n|---|---|\n| Tray | 2 |"
    article_save(article, actor=writer)
    return article.pk


def test_the_desks_admin_pages_have_no_serious_accessibility_problem(
    browser_page, browser_problems, admin_keys
):
    manager = StaffFactory(full_name="Jordan Desk", is_superuser=True)
    page = browser_page
    sign_in(page, manager.email, PASSWORD, lands_on=r"/admin/$")
    for path in ADMIN_PAGES:
        url = path.format(**admin_keys)
        response = page.goto(url)
        assert response.status == 200, url
        check_both_schemes(page, f"admin {url}")
    browser_problems.assert_clean()
