"""Helpers shared by the incident tests."""

from django.db import connection

# The practice's pages, pinned: what each costs rendered afresh and from the cache (incidents.pagecache),
# whatever the number of incidents, events or attachments.
# Afresh: session, user with practice, products for the filter, count, the page of incidents.
LIST_QUERIES = 5
# From the cache: session, user with practice.
CACHED_LIST_QUERIES = 2
# Afresh: session, user with practice, the access check (a few columns), the whole incident with its
# product, site and reporter, public events with their actors, their attachments.
DETAIL_QUERIES = 6
# From the cache: session, user with practice, the access check.
CACHED_DETAIL_QUERIES = 3
# The desk's incident list in admin. Afresh: session, user, the product filter, the count, the rows
# (permissions come from the cache after the first visit); on PostgreSQL also the planner's estimate,
# read first to decide whether an exact count is worth it.
CHANGELIST_QUERIES = 6 if connection.vendor == "postgresql" else 5
# From the cache: session, user.
CACHED_CHANGELIST_QUERIES = 2


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
