"""Fixtures shared by the accounts tests."""

import pytest

from accounts.models import AccountRequest


@pytest.fixture
def account_request(practice):
    return AccountRequest.objects.create(
        practice=practice,
        full_name="Jamie Fox",
        email="jamie.fox@riverside.example",
        phone="01632 960777",
        job_role="Receptionist",
    )
