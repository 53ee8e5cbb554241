"""PostgreSQL: a tsvector of the names alone (A = folded name, B = name as written) with its own
GIN index, beside `tsv` (search/backends/database.py).

A common word (search/ranking.py) is looked for in the names only; `tsv`'s GIN index cannot
restrict a match to weight A (every row with the word anywhere is fetched and rechecked: all
100,000 for "san"), this index can. The name rank signals are tested on it too: a few words per
row instead of the whole description. SQLite and the engines need nothing (FTS5 and the engines
restrict to a column in the index itself).
"""

from django.db import migrations

from search.migrations._postgres import postgres_only

PG = [
    "ALTER TABLE search_searchdocument ADD COLUMN tsv_name tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, name_fold), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, name_exact), 'B')) STORED",
    "CREATE INDEX searchdoc_tsv_name ON search_searchdocument USING gin (tsv_name)",
]
PG_BACK = [
    "DROP INDEX IF EXISTS searchdoc_tsv_name",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS tsv_name",
]


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0009_facet_bits_options"),
    ]

    operations = [postgres_only(PG, PG_BACK)]
