"""Helpers for the incident tests: a complete, valid answer to the handbook's checklist."""

import pytest

from tests.factories import incident_form_data


@pytest.fixture
def incident_data(practice_user, product):
    """Everything the portal's log form asks for, filled in the way a practice would."""
    return incident_form_data(
        practice_user,
        product,
        contact_name="Alex Morgan",
        remote_access_allowed="on",
        remote_access_constraints="Not during morning surgery",
    )


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
