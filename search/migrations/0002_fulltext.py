"""Full-text structures for the database backend, per vendor.

SQLite: an FTS5 table keyed by product id. The tokenizer keeps diacritics (remove_diacritics 0)
because recall comes from the Python-folded columns (FTS5 cannot fold đ, and
remove_diacritics 1 misses stacked tones), while `name_exact` must tell "cà" from "ca" for the
exact-diacritic boost. PostgreSQL: a stored tsvector ('simple' config: no stemming) over folded
and exact text with a GIN index, plus pg_trgm on the folded name when the extension is allowed.
"""
from django.db import migrations, transaction

SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "name_fold, body_fold, name_exact, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts_vocab USING fts5vocab(search_fts, 'row')",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS search_fts_vocab", "DROP TABLE IF EXISTS search_fts"]
PG = [
    "ALTER TABLE search_searchdocument ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, name_fold), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, name_exact), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, body_fold), 'C')) STORED",
    "CREATE INDEX searchdoc_tsv ON search_searchdocument USING gin (tsv)",
]
PG_TRGM = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX searchdoc_name_trgm ON search_searchdocument USING gin (name_fold gin_trgm_ops)",
]
PG_DROP = ["DROP INDEX IF EXISTS searchdoc_name_trgm", "DROP INDEX IF EXISTS searchdoc_tsv",
           "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS tsv"]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in SQLITE if vendor == "sqlite" else PG if vendor == "postgresql" else []:
        schema_editor.execute(sql)
    if vendor == "postgresql":
        try:  # a role without CREATE EXTENSION still gets full text, only not trigram typos
            with transaction.atomic(using=schema_editor.connection.alias):
                for sql in PG_TRGM:
                    schema_editor.execute(sql)
        except Exception:  # noqa: BLE001 - any refusal is fine, see above
            pass


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in SQLITE_DROP if vendor == "sqlite" else PG_DROP if vendor == "postgresql" else []:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
