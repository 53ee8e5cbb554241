"""PostgreSQL: a narrow table of the names and the filter columns (`search_searchname`), beside
the documents' table, kept in the same transactions (search/backends/database.py, `NAMES`).

A big match's rank window (the newest 2,000 rows with every word in the name that the filters
keep) is found by walking rows newest first or by the names' GIN index, and either way every
candidate row is read from the table. In the documents' table a row carries the descriptions,
the context and two tsvectors: about 5 rows to a page, 1.4 GB at 1,000,000 products, far more
than the server's buffers. Here a row is its id, its names (tsv_name is generated from them),
and the columns the filters test: about 20 rows to a page. SQLite and the engines need nothing
(FTS5 restricts a match to the names in its own index).

Filled from the documents already indexed (no reindex needed).
"""

from django.db import migrations

from search.migrations._postgres import postgres_only

# The columns the search filters test (`database._filters`), with the documents' types.
FILTER_COLUMNS = (
    "category_id bigint, province_id integer, cooperative_id bigint NOT NULL, "
    "certifications text NOT NULL, ocop_stars smallint, options text NOT NULL, "
    "price_vnd bigint, in_stock boolean NOT NULL, incoterms text NOT NULL, "
    "export_ready boolean NOT NULL"
)
COPIED = (
    "product_id, name_fold, name_exact, category_id, province_id, cooperative_id, "
    "certifications, ocop_stars, options, price_vnd, in_stock, incoterms, export_ready"
)
PG = [
    "CREATE TABLE search_searchname (product_id bigint NOT NULL PRIMARY KEY, "
    "name_fold text NOT NULL, name_exact text NOT NULL, "
    "tsv_name tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, name_fold), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, name_exact), 'B')) STORED, "
    f"{FILTER_COLUMNS})",
    f"INSERT INTO search_searchname ({COPIED}) "  # noqa: S608 (constants)
    f"SELECT {COPIED} FROM search_searchdocument ORDER BY product_id",
    "CREATE INDEX searchname_tsv_name ON search_searchname USING gin (tsv_name)",
    "ANALYZE search_searchname",
]
PG_BACK = ["DROP TABLE IF EXISTS search_searchname"]


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0011_card_generation"),
    ]

    operations = [postgres_only(PG, PG_BACK)]
