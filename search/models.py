"""The database backend's index table (SQLite FTS5 / PostgreSQL full text sit beside it).

A denormalised copy of each purchasable product, maintained only by `search.sync`. It has no
foreign keys on purpose: the index must never block a delete in the catalog, and a stale row is
repaired by the next drain or by `search_check --repair`.
"""
from django.db import models


class SearchDocument(models.Model):
    product_id = models.BigIntegerField(primary_key=True)
    name_vi = models.TextField()
    name_en = models.TextField(blank=True)
    name_exact = models.TextField()
    name_fold = models.TextField()
    body_fold = models.TextField(blank=True)
    category_id = models.BigIntegerField(null=True)
    category_path = models.TextField(default="[]")  # JSON list of ids, root first
    province_id = models.IntegerField(null=True)
    cooperative_id = models.BigIntegerField()
    certifications = models.TextField(default="[]")  # JSON list of Certification.Kind values
    ocop_stars = models.PositiveSmallIntegerField(null=True)
    price_vnd = models.BigIntegerField(null=True)
    in_stock = models.BooleanField(default=False)
    incoterms = models.TextField(default="[]")  # JSON list
    export_ready = models.BooleanField(default=False)
    created = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["category_id"], name="searchdoc_category"),
            models.Index(fields=["province_id"], name="searchdoc_province"),
            models.Index(fields=["cooperative_id"], name="searchdoc_coop"),
            models.Index(fields=["price_vnd", "product_id"], name="searchdoc_price"),
            models.Index(fields=["created", "product_id"], name="searchdoc_created"),
        ]

    def __str__(self):
        return self.name_vi
