"""PostgreSQL: the filter lexeme functions of 0015 without a call to another of our functions.

`search_filter_lexemes` (the generated column `tsv_filter`) called `search_price_steps()` by its
bare name, found through the search path. pg_dump's output runs with an empty search path, so a
restore failed at `CREATE TABLE search_searchname` ("function search_price_steps() does not
exist") and the restored database had no names table. The steps are now a literal in each
function: only built-in functions, which are found whatever the search path (the same lexemes,
so the stored column does not change). `search_price_tsquery` the same way.
"""

from django.db import migrations

from search.migrations._postgres import postgres_only

STEPS = "10000,20000,50000,100000,200000,500000,1000000,2000000,5000000,10000000,20000000,50000000"
LAST = len(STEPS.split(","))  # `l<LAST>`: any price


def _functions(steps: str, count: str) -> list[str]:
    return [
        "CREATE OR REPLACE FUNCTION search_filter_lexemes(price bigint, product_id bigint) "  # noqa: S608 (constants)
        "RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT array_to_tsvector("
        "ARRAY['r' || (product_id >> 15)] || CASE WHEN price IS NULL THEN '{}'::text[] ELSE "
        f"ARRAY(SELECT 'l' || (i - 1) FROM unnest({steps}) WITH ORDINALITY s(t, i) "
        f"WHERE price <= t) || ARRAY['l' || {count}] END) $$",
        "CREATE OR REPLACE FUNCTION search_price_tsquery(high bigint) "  # noqa: S608
        "RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
        f"SELECT ('l' || COALESCE(min(i) - 1, {count}))::tsquery "
        f"FROM unnest({steps}) WITH ORDINALITY s(t, i) WHERE t >= high $$",
    ]


PG = _functions(f"'{{{STEPS}}}'::bigint[]", str(LAST))
PG_BACK = _functions("search_price_steps()", "cardinality(search_price_steps())")


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0015_name_table_filter_lexemes"),
    ]

    operations = [postgres_only(PG, PG_BACK)]
