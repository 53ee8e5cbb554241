"""PostgreSQL: the documents' SKUs (one per line) GIN-indexed as an array, so whether some
document has the query as one of its SKUs is one index lookup (`_PostgresText.has_sku`).

A query with a digit may be a SKU, whose signal outranks every other, so it was never ranked in
a rank window on PostgreSQL: "gao st25" ranked all of its 21,800 matches at 1,000,000 products.
It is now windowed, as on SQLite, when no document has it as a SKU.
"""

from django.db import migrations

PG = [
    "CREATE INDEX searchdoc_sku ON search_searchdocument "
    "USING gin (string_to_array(sku, E'\\n'))",
]
PG_BACK = ["DROP INDEX IF EXISTS searchdoc_sku"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_BACK:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0012_name_table"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
