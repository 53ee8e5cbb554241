"""PostgreSQL: the narrow names table's price (`searchname_price`): a rank window under a price
bound is found by a bitmap AND of the names' GIN index and this one, which fetches only the
name matches in the price range (`_PostgresText.window_ids`).
"""

from django.db import migrations

from search.migrations._postgres import postgres_only

PG = ["CREATE INDEX IF NOT EXISTS searchname_price ON search_searchname (price_vnd)"]
PG_BACK = ["DROP INDEX IF EXISTS searchname_price"]


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0013_sku_index"),
    ]

    operations = [postgres_only(PG, PG_BACK)]
