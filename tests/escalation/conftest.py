import importlib
from datetime import datetime

import pytest
import time_machine
from django.apps import apps

from servicedesk.lib.support_hours import LONDON


@pytest.fixture
def standard_ladder(db):
    """The seeded ladder. Data migrations run once for the test database, and a transactional test
    (which empties every table afterwards) may have run before this one, so seed again if needed."""
    migration = importlib.import_module("escalation.migrations.0004_standard_ladder")
    migration.create(apps, None)


@pytest.fixture
def clock():
    """A stopped clock at 09:00 on Wednesday 25 November 2026, which the test moves on. Ask for it first,
    so that the other fixtures are made inside it too."""
    with time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=LONDON), tick=False) as traveller:
        yield traveller
