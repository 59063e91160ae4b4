"""A full-text index on the article's title and body, so that PostgreSQL answers the articles' search
(knowledge.search.DOCUMENT, which Django writes as the expression below) from an index instead of parsing
every article. PostgreSQL only, and outside the model's state: SQLite has no such index."""

from django.db import migrations

INDEX = "article_search_document"
EXPRESSION = "to_tsvector('simple'::regconfig, COALESCE(title, '') || ' ' || COALESCE(body, ''))"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(apps.get_model("knowledge", "Article")._meta.db_table)
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} USING gin (({EXPRESSION}))")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_articles")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
