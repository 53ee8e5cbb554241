"""PostgreSQL: the narrow names table's filters as lexemes (`tsv_filter`), GIN-indexed with the
names (`searchname_names_filters`), so a rank window's read through the index intersects the
names' matches with the filters inside one GIN scan (`_PostgresText.window_ids`).

At 1,000,000 products a window under a price bound was a bitmap AND of the names' GIN and the
price B-tree ("ca cao" under `price_max`: a 247,000-entry price bitmap, 14 ms, before its rows),
and a window of a word that is not dense among the newest rows walked 80,000-400,000 rows or
fetched every name match in the table. The lexemes of a row (`search_filter_lexemes`):

- `l<i>` for each price step i at or above its price (the steps: 1-2-5 per decade, 10,000 to
  50,000,000 VND), and `l12` for any price. An upper price bound is tested in the index as
  the one lexeme of the step at or above it (`search_price_tsquery`: `price <= 450,000` is
  `l5`, prices up to 500,000) and exactly on the rows fetched; a lower bound only on the rows
  fetched. One lexeme per bound: a price band per row (`b<n>`, one lexeme a row) needed the
  bands a bound spans OR'd in the query ("price <= 500,000": 16 of them), and the GIN scan
  advances every one of them at each candidate ("che" under that bound: 23 ms in the index
  against 8 ms for the names alone). No lexeme without a price: a price bound keeps no
  unpriced row.
- `r<product_id / 32,768>`, the row's block of ids: the newest rows of a match are found by the
  index in the newest blocks instead of in the whole table.

Filters kept by most rows (in stock, export-ready: 60-75% of the rows) are not lexemes: the
index decodes the entries of a lexeme it intersects with (600,000 at 1,000,000 products,
10-20 ms), more than testing them on the rows fetched costs. A lexeme for each step in both
directions (`le500000`, `ge500000`, ...) made the table 655 MB at 1,000,000 products against
404; these short upper-bound lexemes add about 10%.

The price B-tree (`searchname_price`, 0014) and the names-only GIN (`searchname_tsv_name`,
0012) are replaced by the two-column GIN (it answers a names-only test too).
"""

from django.db import migrations

from search.migrations._postgres import postgres_only

STEPS = "10000,20000,50000,100000,200000,500000,1000000,2000000,5000000,10000000,20000000,50000000"
PG = [
    # The price steps, once: both functions below read them.
    "CREATE OR REPLACE FUNCTION search_price_steps() RETURNS bigint[] "
    f"LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT '{{{STEPS}}}'::bigint[] $$",
    "CREATE OR REPLACE FUNCTION search_filter_lexemes(price bigint, product_id bigint) "
    "RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT array_to_tsvector("
    "ARRAY['r' || (product_id >> 15)] || CASE WHEN price IS NULL THEN '{}'::text[] ELSE "
    "ARRAY(SELECT 'l' || (i - 1) FROM unnest(search_price_steps()) WITH ORDINALITY s(t, i) "
    "WHERE price <= t) || ARRAY['l' || cardinality(search_price_steps())] END) $$",
    # The lexeme every row priced at most `high` has: its step's, or any price's past them.
    "CREATE OR REPLACE FUNCTION search_price_tsquery(high bigint) "
    "RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
    "SELECT ('l' || COALESCE(min(i) - 1, cardinality(search_price_steps())))::tsquery "
    "FROM unnest(search_price_steps()) WITH ORDINALITY s(t, i) WHERE t >= high $$",
    "ALTER TABLE search_searchname ADD COLUMN tsv_filter tsvector GENERATED ALWAYS AS "
    "(search_filter_lexemes(price_vnd, product_id)) STORED",
    "CREATE INDEX searchname_names_filters ON search_searchname USING gin (tsv_name, tsv_filter)",
    "DROP INDEX IF EXISTS searchname_tsv_name",
    "DROP INDEX IF EXISTS searchname_price",
    "ANALYZE search_searchname",
]
PG_BACK = [
    "CREATE INDEX IF NOT EXISTS searchname_tsv_name ON search_searchname USING gin (tsv_name)",
    "CREATE INDEX IF NOT EXISTS searchname_price ON search_searchname (price_vnd)",
    "DROP INDEX IF EXISTS searchname_names_filters",
    "ALTER TABLE search_searchname DROP COLUMN IF EXISTS tsv_filter",
    "DROP FUNCTION IF EXISTS search_price_tsquery(bigint)",
    "DROP FUNCTION IF EXISTS search_price_tsquery(bigint, bigint)",
    "DROP FUNCTION IF EXISTS search_filter_lexemes(bigint, bigint)",
    "DROP FUNCTION IF EXISTS search_price_steps()",
]


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0014_name_table_price"),
    ]

    operations = [postgres_only(PG, PG_BACK)]
