"""The database backend's index table (SQLite FTS5 / PostgreSQL full text sit beside it).

A denormalised copy of each purchasable product, maintained only by `search.sync`. It has no
foreign keys on purpose: the index must never block a delete in the catalog, and a stale row is
repaired by the next drain or by `search_check --repair`.
"""

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper


class RowIdField(models.BigIntegerField):
    """A 64-bit key that is SQLite's rowid: declared `integer PRIMARY KEY` there (bigint
    elsewhere), so the join from the FTS5 table (keyed by rowid) is one direct B-tree lookup
    instead of a lookup in a separate primary-key index and then in the table."""

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        return "integer" if connection.vendor == "sqlite" else super().db_type(connection)


class SearchDocument(models.Model):
    # The document's id: a product family's id (one document per family, docs/search.md).
    product_id = RowIdField(primary_key=True)
    # every purchasable variant's SKU, NFC, lowercase, one per line (the exact-SKU signal)
    sku = models.TextField(blank=True, default="")
    name_vi = models.TextField()
    name_en = models.TextField(blank=True)
    name_exact = models.TextField()
    name_fold = models.TextField()
    # category path (both languages), cooperative, province (2025 and former names),
    # certification labels (both languages), SKU: all folded
    context_fold = models.TextField(blank=True, default="")
    body_fold = models.TextField(blank=True)  # the descriptions, folded
    name_len = models.PositiveSmallIntegerField(default=0)  # words in name_fold: length norm
    orders = models.PositiveIntegerField(default=0)  # quality signal: orders that bought it
    category_id = models.BigIntegerField(null=True)
    category_path = models.TextField(default="[]")  # JSON list of ids, root first
    province_id = models.IntegerField(null=True)
    cooperative_id = models.BigIntegerField()
    certifications = models.TextField(default="[]")  # JSON list of Certification.Kind values
    ocop_stars = models.PositiveSmallIntegerField(null=True)
    price_vnd = models.BigIntegerField(null=True)  # the family's lowest variant price
    price_max_vnd = models.BigIntegerField(null=True)  # ... and its highest
    variant_count = models.PositiveIntegerField(default=1)
    # JSON list of "kind:value" of the variants' options (pack, grade, crop_year): facets, filters
    options = models.TextField(default="[]")
    in_stock = models.BooleanField(default=False)
    incoterms = models.TextField(default="[]")  # JSON list
    export_ready = models.BooleanField(default=False)
    created = models.DateTimeField()
    # stock, price bucket, OCOP stars, certifications, Incoterms: see search/backends/packed.py
    facet_bits = models.IntegerField(default=0)
    # search.product_documents.doc_hash of the indexed document; "" (rows indexed before it existed)
    # never matches, so `search_check` reports those stale and `--repair` rewrites them.
    doc_hash = models.CharField(max_length=16, default="", blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["category_id"], name="searchdoc_category"),
            models.Index(fields=["province_id"], name="searchdoc_province"),
            models.Index(fields=["cooperative_id"], name="searchdoc_coop"),
            models.Index(fields=["price_vnd", "product_id"], name="searchdoc_price"),
            models.Index(fields=["created", "product_id"], name="searchdoc_created"),
            # Covering indexes for the two facet GROUP BYs of a browse (no words): grouped in
            # index order with every filter column at hand, so no sort and no table lookups.
            models.Index(
                fields=[
                    "cooperative_id",
                    "category_id",
                    "province_id",
                    "in_stock",
                    "export_ready",
                    "price_vnd",
                    "ocop_stars",
                ],
                name="searchdoc_facet_groups",
            ),
            models.Index(
                fields=[
                    "facet_bits",
                    "options",
                    "category_id",
                    "province_id",
                    "cooperative_id",
                    "in_stock",
                    "export_ready",
                    "price_vnd",
                    "ocop_stars",
                ],
                name="searchdoc_facet_bits",
            ),
        ]

    def __str__(self):
        return self.name_vi


class SearchWord(models.Model):
    """The vocabulary of folded product-name words, for typo correction on the database
    backend (PostgreSQL: pg_trgm similarity over it; SQLite: edit-distance-1 candidates looked
    up in it). Filled as documents are indexed; a full reindex rebuilds it, so words of
    products gone since then linger until the next reindex (a correction to such a word finds
    nothing and is not offered)."""

    word = models.CharField(max_length=100, primary_key=True)

    def __str__(self):
        return self.word


class CardGeneration(models.Model):
    """One row: the generation of what processes keep of result cards (`search.cards`). It
    moves on when a content edit commits and whenever outbox rows are applied to the index; a
    process uses what it kept only while the generation it reads with each page's prices and
    stock is the one it kept them for."""

    ROW = 1
    value = models.BigIntegerField(default=1)

    def __str__(self):
        return f"card generation {self.value}"
