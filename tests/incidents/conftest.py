"""Helpers for the incident tests: a complete, valid answer to the handbook's checklist."""

import pytest


@pytest.fixture
def incident_data(practice_user, product):
    """Everything the portal's log form asks for, filled in the way a practice would."""
    return {
        "contact_name": "Alex Morgan",
        "contact_number": "01632 960555",
        "site": practice_user.practice.sites.get(is_main=True).pk,
        "summary": "Appointments screen freezes",
        "severity": "3",
        "urgency": "today",
        "impact": "Reception cannot book appointments.",
        "description": "Since this morning the appointments screen freezes when opened.",
        "product": product.pk,
        "version": "5.4.2",
        "on_current_version": "yes",
        "machine_name": "RECEPTION-PC-01",
        "onscreen_messages": "Not responding",
        "what_was_running": "Appointments",
        "process": "Open Appointments, choose today",
        "worked_before": "yes",
        "worked_before_when": "Yesterday afternoon",
        "what_changed": "Nothing we know of",
        "recent_upgrades": "None",
        "more_than_one_pc": "yes",
        "repeatable": "yes",
        "users_affected": "3",
        "sites_affected": "main",
        "remote_access_allowed": "on",
        "remote_access_constraints": "Not during morning surgery",
    }


@pytest.fixture
def admin_incident_data(incident_data, practice_user):
    """The admin add form: the checklist plus who reported it and how, and the empty timeline inline."""
    return {
        **incident_data,
        "reporter": practice_user.pk,
        "channel": "phone",
        "remote_access_allowed": "on",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "1000",
    }
