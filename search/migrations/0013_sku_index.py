"""PostgreSQL: the documents' SKUs (one per line) GIN-indexed as an array, so whether some
document has the query as one of its SKUs is one index lookup (`_PostgresText.has_sku`).

A query with a digit may be a SKU, whose signal outranks every other, so it was never ranked in
a rank window on PostgreSQL: "gao st25" ranked all of its 21,800 matches at 1,000,000 products.
It is now windowed, as on SQLite, when no document has it as a SKU.
"""

from django.db import migrations

from search.migrations._postgres import postgres_only

PG = [
    "CREATE INDEX searchdoc_sku ON search_searchdocument "
    "USING gin (string_to_array(sku, E'\\n'))",
]
PG_BACK = ["DROP INDEX IF EXISTS searchdoc_sku"]


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0012_name_table"),
    ]

    operations = [postgres_only(PG, PG_BACK)]
