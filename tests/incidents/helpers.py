"""Helpers shared by the incident tests."""


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
