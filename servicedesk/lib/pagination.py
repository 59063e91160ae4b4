"""Paging: a paginator that does not count every row of a large table just to draw page links, and
page numbers read from an address."""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

# Below this many rows an exact count is cheap, and exact numbers are nicer to read.
ESTIMATE_ABOVE = 50_000


class EstimatedCountPaginator(Paginator):
    """For an unfiltered queryset on PostgreSQL, the planner's row estimate; a filtered list counts exactly,
    as agents expect the number of matches to be right."""

    @cached_property
    def count(self):
        queryset = self.object_list
        if not queryset.query.where and connections[queryset.db].vendor == "postgresql":
            with connections[queryset.db].cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] > ESTIMATE_ABOVE:
                return row[0]
        return super().count


def newest_page(newest_first, number, size):
    """Page `number` (1: the newest) of `size` rows, and whether older rows exist: one query and no count,
    so that a page never grows with the number of rows."""
    start = (number - 1) * size
    rows = list(newest_first[start : start + size + 1])
    return rows[:size], len(rows) > size


def page_number(raw, last=10_000):
    """The page number an address asks for (`?timeline=3`): 1 unless it is a whole number from 1 to `last`."""
    raw = raw or ""
    # isascii(): "²" is a digit to isdigit() but not to int().
    return int(raw) if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= last else 1
