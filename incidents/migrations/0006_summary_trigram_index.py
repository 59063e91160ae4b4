"""A trigram index on the upper-cased summary, so that PostgreSQL answers admin's search of summaries
(`summary__icontains`, which Django writes as UPPER("summary"::text) LIKE UPPER(...)) from an index instead
of reading every incident. PostgreSQL only, and outside the model's state: SQLite has no such index.

Built CONCURRENTLY, so that writes to incidents go on while it is built on a large table. pg_trgm is a
trusted extension (PostgreSQL 13 and later): the database's owner may create it."""

from django.db import migrations

INDEX = "incident_summary_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("incidents", "Incident")._meta.db_table)
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # A concurrent build that failed (cancelled, timed out) leaves an invalid index of that name behind,
    # which IF NOT EXISTS would keep: it is dropped and built again.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [INDEX])
        invalid = cursor.fetchone()
    if invalid and invalid[0]:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY {INDEX}")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON {table} USING gin (UPPER(summary::text) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("incidents", "0005_drop_indexes_covered_by_composites")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
