import importlib

import pytest
from django.apps import apps


@pytest.fixture
def standard_ladder(db):
    """The seeded ladder. Data migrations run once for the test database, and a transactional test
    (which empties every table afterwards) may have run before this one, so seed again if needed."""
    migration = importlib.import_module("escalation.migrations.0004_standard_ladder")
    migration.create(apps, None)
