"""Helpers shared by the incident tests."""

from django.db import connection

# Every portal page of a practice user reads the severe known issues of its products for the banner
# (issue 19: incidents.known_issues.banner_for), one query; the pages below count it.
BANNER_QUERY = 1
# The pages, pinned, whatever the number of incidents, events or attachments. The session comes from the
# cache (cached_db sessions) once the test has made one request.
# The practice's list as it opens: user with practice, its contract's severity words, products for the filter,
# the counts of its groups
# (with the greeting's "updated since your last visit"), the page of incidents (each with its last public
# update, group and the desk's question); then the session, saved with the time of this visit (its UPDATE
# in a savepoint: three queries, as the test's transaction wraps the session store's atomic block).
LIST_QUERIES = 8 + BANNER_QUERY
# Searched: the same reads without the session's save, with the visible timeline texts of the page.
LIST_SEARCH_QUERIES = 6 + BANNER_QUERY
# An incident's page: user with practice, the incident with its product, site and reporter, the contract's
# severity words, one page of its public timeline with actors, their attachments, whether the user follows it,
# and its links to other incidents with those incidents (issue 17: one more, however many links it has).
DETAIL_QUERIES = 7 + BANNER_QUERY
# Logging an incident: user with practice, the contract's severity words (the form's choices), the chosen
# site and product, the SLA terms (the calendar with its
# hours, the targets), the reference counter, the incident and its logged event, the practice's time of last
# entry on the incident (its "practice replied" marker, issue 17), and the savepoints of the service's
# transaction (the test's own transaction turns its commit into a savepoint's release).
LOG_QUERIES = 12
# The desk's incident list in admin as it opens, on the open incidents: user, the user's and their groups'
# permissions, the product filter, the count, the rows. (Until issue 17 it opened on every incident, and
# PostgreSQL read the planner's estimate first, to decide whether an exact count was worth it: 7 there. A
# filtered list counts exactly, and the open incidents are counted from their own index.)
CHANGELIST_QUERIES = 6
# Every incident (?state=all), unfiltered: on PostgreSQL the planner's estimate as well.
ALL_INCIDENTS_CHANGELIST_QUERIES = 7 if connection.vendor == "postgresql" else 6


def admin_change_data(incident, **changes):
    """What the admin change form posts back for `incident`, with `changes` applied."""
    return {
        "contact_name": incident.contact_name,
        "contact_number": incident.contact_number,
        "summary": incident.summary,
        "description": incident.description,
        "product": incident.product_id,
        "on_current_version": "unknown",
        "urgency": "days",
        "worked_before": "unknown",
        "more_than_one_pc": "unknown",
        "repeatable": "unknown",
        "users_affected": "1",
        "sites_affected": "unknown",
        "events-TOTAL_FORMS": "1",
        "events-INITIAL_FORMS": "1",
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "1000",
        "events-0-id": incident.events.get().pk,
        "events-0-incident": incident.pk,
        **changes,
    }
