"""Catalog: categories, product families and their variants, price tiers, stock, images,
certifications."""

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalog.units import Unit
from market.models import Cooperative, Province
from market.shared.base import QTY, TimeStampedModel


class Category(models.Model):
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    slug = models.SlugField(max_length=100, unique=True)
    name_vi = models.CharField(max_length=120)
    name_en = models.CharField(max_length=120)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name_vi"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name_vi

    def descendant_ids(self) -> list[int]:
        """This category and everything below it (the tree is small: a few hundred nodes)."""
        return Category.subtree_ids([self.pk])

    @staticmethod
    def subtree_ids(roots) -> list[int]:
        """The given categories and everything below them: one query per tree level, however
        many roots."""
        ids, frontier = list(roots), list(roots)
        while frontier:
            frontier = list(
                Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            )
            ids += frontier
        return ids


class Incoterm(models.TextChoices):
    EXW = "EXW", "EXW"
    FCA = "FCA", "FCA"
    FOB = "FOB", "FOB"
    CFR = "CFR", "CFR"
    CIF = "CIF", "CIF"
    DAP = "DAP", "DAP"
    DDP = "DDP", "DDP"


class Availability(models.TextChoices):
    IN_STOCK = "IN_STOCK", _("In stock")
    PRE_ORDER = "PRE_ORDER", _("Pre-order")
    SEASONAL = "SEASONAL", _("Seasonal")


class ProductFamily(TimeStampedModel):
    """What a cooperative's product shares across the packs, grades and crop years it is sold in:
    names, descriptions, category, origin, photos (`images`), certifications, export data and
    seasonality. What is sold is a variant (`Product`, alias `ProductVariant`). The shared fields
    are copied onto each variant row by `catalog.services.families` (see docs/catalog.md)."""

    # The fields shared by every variant (same names on both models; the family is the truth).
    SHARED_FIELDS = (
        "name_vi",
        "name_en",
        "description_vi",
        "description_en",
        "category_id",
        "origin_province_id",
        "availability",
        "harvest_start",
        "harvest_end",
        "season_months",
        "hs_code",
        "incoterms",
        "port_of_loading",
    )

    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.PROTECT, related_name="product_families"
    )
    slug = models.SlugField(max_length=255)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    description_vi = models.TextField(_("description (Vietnamese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="families", null=True, blank=True
    )
    origin_province = models.ForeignKey(
        Province, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    availability = models.CharField(
        max_length=10, choices=Availability.choices, default=Availability.IN_STOCK
    )
    harvest_start = models.DateField(null=True, blank=True)
    harvest_end = models.DateField(null=True, blank=True)
    season_months = models.JSONField(default=list, blank=True)
    hs_code = models.CharField(_("HS code"), max_length=12, blank=True)
    incoterms = models.JSONField(default=list, blank=True)
    port_of_loading = models.CharField(max_length=100, blank=True)
    # Grouping key of the spreadsheet import ("Mã nhóm"): rows with one key are one family.
    family_key = models.CharField(max_length=64, blank=True)

    # Not fields: what a read sets for a family card (catalog.selectors: `shown_variants` by the
    # variants' Prefetch, the rest by `family_for_card`; search adds the name `highlight`).
    shown_variants: list["Product"]
    variant: "Product"
    price_min_vnd: int | None
    price_max_vnd: int | None
    variant_count: int
    highlight: dict[str, str]

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["cooperative", "family_key"])]

    def __str__(self):
        return self.name_vi

    def shared_values(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.SHARED_FIELDS}

    @classmethod
    def bulk_for(cls, products: list["Product"]) -> None:
        """Give each unsaved product without a family a one-variant family of its own (bulk
        inserts skip `Product.save`, which would do it one by one)."""
        alone = [p for p in products if p.family_id is None]
        families = ProductFamily.objects.bulk_create(
            [
                ProductFamily(
                    cooperative_id=p.cooperative_id,
                    slug=p.slug,
                    **{f: getattr(p, f) for f in cls.SHARED_FIELDS},
                )
                for p in alone
            ]
        )
        for product, family in zip(alone, families, strict=True):
            product.family = family


class Product(TimeStampedModel):
    """A variant: what is sold (SKU, options, unit, price, tiers, MOQ, stock). Kept under its
    old name and table so cart lines, order lines and stock locks did not change."""

    class Status(models.TextChoices):
        DRAFT = "DRAFT", _("Draft")
        ACTIVE = "ACTIVE", _("Active")
        ARCHIVED = "ARCHIVED", _("Archived")

    Availability = Availability

    # Allowed status moves, declared once; product_publish / product_archive perform them.
    ALLOWED_TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.DRAFT: {Status.ACTIVE, Status.ARCHIVED},
        Status.ACTIVE: {Status.ARCHIVED},
        Status.ARCHIVED: {Status.ACTIVE},
    }

    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="products")
    family = models.ForeignKey(ProductFamily, on_delete=models.PROTECT, related_name="variants")
    sku = models.CharField(max_length=64)
    # {kind: value} of catalog.options.KINDS; options_key is its canonical form (unique per family).
    options = models.JSONField(default=dict, blank=True)
    options_key = models.CharField(max_length=255, blank=True, default="")
    position = models.PositiveSmallIntegerField(default=0)
    image = models.ForeignKey(
        "ProductImage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # One unit of sale holds base_qty of base_unit (1 BAO = 5 KG); empty when it has no base.
    base_qty = models.DecimalField(null=True, blank=True, **QTY)
    base_unit = models.CharField(max_length=8, choices=Unit.choices, blank=True)
    slug = models.SlugField(max_length=255)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    description_vi = models.TextField(_("description (Vietnamese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", null=True, blank=True
    )
    origin_province = models.ForeignKey(
        Province, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    unit = models.CharField(_("unit of sale"), max_length=8, choices=Unit.choices, default=Unit.KG)
    price_vnd = models.PositiveBigIntegerField(_("price per unit (VND)"), null=True, blank=True)
    min_order_qty = models.DecimalField(_("minimum order quantity"), default=Decimal("1"), **QTY)
    order_step = models.DecimalField(_("order multiple"), default=Decimal("1"), **QTY)
    stock_qty = models.DecimalField(_("stock on hand"), default=Decimal("0"), **QTY)
    unit_weight_kg = models.DecimalField(
        _("shipping weight per unit (kg)"), null=True, blank=True, **QTY
    )

    availability = models.CharField(
        max_length=10, choices=Availability.choices, default=Availability.IN_STOCK
    )
    harvest_start = models.DateField(null=True, blank=True)
    harvest_end = models.DateField(null=True, blank=True)
    season_months = models.JSONField(default=list, blank=True)  # [1..12]
    lead_time_days = models.PositiveSmallIntegerField(default=2)

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(null=True, blank=True)

    # Export data.
    hs_code = models.CharField(
        _("HS code"),
        max_length=12,
        blank=True,
        validators=[
            RegexValidator(
                r"^\d{4}(\.?\d{2}){0,3}$", _("HS code must be 4 to 10 digits, e.g. 0901.11")
            )
        ],
    )
    incoterms = models.JSONField(default=list, blank=True)  # ["FOB", "CIF"]
    packaging = models.CharField(max_length=255, blank=True)
    port_of_loading = models.CharField(max_length=100, blank=True)
    monthly_capacity = models.DecimalField(null=True, blank=True, **QTY)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "sku"], name="product_sku_unique_per_coop"
            ),
            models.UniqueConstraint(
                fields=["family", "options_key"], name="variant_options_unique_per_family"
            ),
            models.CheckConstraint(
                condition=models.Q(stock_qty__gte=0), name="product_stock_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(price_vnd__isnull=True) | models.Q(price_vnd__gt=0),
                name="product_price_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(min_order_qty__gt=0), name="product_moq_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(order_step__gt=0), name="product_step_positive"
            ),
        ]
        indexes = [models.Index(fields=["cooperative", "status"])]

    def __str__(self):
        return f"{self.name_vi} — {self.variant_label}" if self.options else self.name_vi

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A product saved without a family becomes a one-variant family (how products were made
        # before families; the services create families explicitly).
        if self.family_id is None:
            self.family = ProductFamily.objects.create(
                cooperative_id=self.cooperative_id,
                slug=self.slug,
                **{f: getattr(self, f) for f in ProductFamily.SHARED_FIELDS},
            )
        super().save(*args, **kwargs)

    @property
    def variant_label(self) -> str:
        from catalog.options import label

        return label(self.options)

    @property
    def full_name_vi(self) -> str:
        """The family name and the variant's options: what an order line snapshots."""
        label = self.variant_label
        return (f"{self.name_vi} — {label}" if label else self.name_vi)[:255]

    @property
    def is_purchasable(self) -> bool:
        return (
            self.status == self.Status.ACTIVE
            and self.cooperative.status == Cooperative.Status.VERIFIED
        )

    def can_move_to(self, status: str) -> bool:
        return status in self.ALLOWED_TRANSITIONS.get(self.status, set())

    def unit_price_for(self, quantity: Decimal) -> int | None:
        """Price per unit at this quantity: the best tier reached, else the base price."""
        price = self.price_vnd
        for tier in self.price_tiers.all():  # ordered by min_qty
            if quantity >= tier.min_qty:
                price = tier.price_vnd
        return price


class PriceTier(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="price_tiers")
    min_qty = models.DecimalField(**QTY)
    price_vnd = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["min_qty"]
        constraints = [
            models.UniqueConstraint(fields=["product", "min_qty"], name="tier_unique_qty"),
            models.CheckConstraint(condition=models.Q(price_vnd__gt=0), name="tier_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.price_vnd} VND from {self.min_qty}"


def _private_storage():
    """Resolved at use time so tests (and deployments) can point "private" elsewhere."""
    return storages["private"]


class ProductImage(models.Model):
    """One uploaded image, re-encoded without metadata, with sized WebP + JPEG variants.
    `variants` maps size name -> {"webp": path, "jpeg": path, "width": w, "height": h}.

    An upload is checked from its header only and kept privately in `upload` (never under
    MEDIA_URL) while it is PENDING; the `catalog.product_image_process` task decodes it, writes the
    variants and makes it READY, or FAILED with `failure_code` (catalog.images.FAILURES). Only a
    READY image has an `original` and `variants`."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Processing")
        READY = "READY", _("Ready")
        FAILED = "FAILED", _("Failed")

    family = models.ForeignKey(ProductFamily, on_delete=models.CASCADE, related_name="images")
    position = models.PositiveSmallIntegerField(default=0)
    original = models.ImageField(upload_to="products/%Y/%m/", blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    variants = models.JSONField(default=dict)
    alt_vi = models.CharField(max_length=255, blank=True)
    alt_en = models.CharField(max_length=255, blank=True)
    # READY by default: rows made from already processed pictures (the demo seeder) are ready.
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.READY)
    failure_code = models.CharField(max_length=40, blank=True)
    upload = models.FileField(storage=_private_storage, upload_to="image-uploads/", blank=True)
    upload_bytes = models.PositiveIntegerField(
        default=0, help_text="bytes of the raw upload counted against the quota while PENDING"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.family_id} #{self.position}"

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def failure_message(self) -> str:
        """Why processing failed, in the active language ("" unless FAILED)."""
        from catalog.images import failure_message

        return failure_message(self.failure_code) if self.status == self.Status.FAILED else ""


class Certification(TimeStampedModel):
    class Kind(models.TextChoices):
        VIETGAP = "VIETGAP", "VietGAP"
        GLOBALGAP = "GLOBALGAP", "GlobalG.A.P."
        ORGANIC_VN = "ORGANIC_VN", _("Organic (TCVN 11041)")
        ORGANIC_EU = "ORGANIC_EU", _("Organic (EU)")
        ORGANIC_USDA = "ORGANIC_USDA", _("Organic (USDA)")
        ORGANIC_JAS = "ORGANIC_JAS", _("Organic (JAS)")
        OCOP = "OCOP", "OCOP"
        HACCP = "HACCP", "HACCP"
        ISO22000 = "ISO22000", "ISO 22000"
        GROWING_AREA = "GROWING_AREA", _("Growing-area code")

    class Status(models.TextChoices):
        CLAIMED = "CLAIMED", _("Waiting for check")
        VERIFIED = "VERIFIED", _("Verified")
        REJECTED = "REJECTED", _("Rejected")

    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.CASCADE, related_name="certifications"
    )
    families = models.ManyToManyField(ProductFamily, blank=True, related_name="certifications")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    ocop_stars = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    issuer = models.CharField(max_length=200)
    number = models.CharField(max_length=100)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    # Private (never under MEDIA_URL): served only by the authorised certification-document view.
    document = models.FileField(
        storage=_private_storage, upload_to="certifications/%Y/%m/", blank=True
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CLAIMED)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    expiry_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="OCOP") | models.Q(ocop_stars__gte=1, ocop_stars__lte=5),
                name="cert_ocop_has_stars",
            ),
        ]

    def __str__(self):
        stars = f" {self.ocop_stars}★" if self.ocop_stars else ""
        return f"{self.get_kind_display()}{stars} {self.number}"

    def is_shown(self, today: date) -> bool:
        """Shown as verified only when checked by an admin and not expired."""
        return self.status == self.Status.VERIFIED and (
            self.valid_until is None or self.valid_until >= today
        )


class ProductEvent(models.Model):
    """Who changed what on a product, and when."""

    class Action(models.TextChoices):
        # Lowercase values: they are the strings stored since the first event (no data migration).
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")
        TIERS = "tiers", _("Volume tiers changed")
        STOCK = "stock", _("Stock changed")
        IMPORTED = "imported", _("Imported")
        IMAGE_ADDED = "image_added", _("Image added")
        IMAGES_REORDERED = "images_reordered", _("Images reordered")
        IMAGE_DELETED = "image_deleted", _("Image deleted")
        CERTIFICATION_CLAIMED = "certification_claimed", _("Certification claimed")
        CERTIFICATION_VERIFIED = "certification_verified", _("Certification verified")
        CERTIFICATION_REJECTED = "certification_rejected", _("Certification rejected")
        CERTIFICATION_EXPIRED = "certification_expired", _("Certification expired")
        FAMILY_UPDATED = "family_updated", _("Shared product fields changed")
        VARIANT_DELETED = "variant_deleted", _("A variant was deleted")
        REGROUPED = "regrouped", _("Moved into a product family")

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=30, choices=Action.choices)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.product_id} {self.action} {self.created_at:%Y-%m-%d %H:%M}"


class ImportJob(TimeStampedModel):
    """One spreadsheet import: validated row by row (progress committed as it goes, so the web
    can poll it), then applied all-or-nothing in one transaction."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Waiting to start")
        VALIDATING = "VALIDATING", _("Checking rows")
        VALID = "VALID", _("Checked, ready to apply")
        INVALID = "INVALID", pgettext_lazy("import job status", "Rows with errors")
        APPLYING = "APPLYING", _("Importing")
        DONE = "DONE", _("Imported")
        FAILED = "FAILED", _("Failed")

    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.CASCADE, related_name="import_jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file = models.FileField(storage=_private_storage, upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=4)  # csv | xlsx
    encoding = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Background bookkeeping (the catalog.import_job_run task): what to run when claimed, who
    # holds the job (each claim bumps `attempts`; a worker whose attempt is no longer current
    # stops writing), and a heartbeat refreshed with the progress, so a dead worker is noticed.
    apply_requested = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    retryable = models.BooleanField(default=False)  # FAILED by an internal error, not by the file
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    # Products (families) the rows make, by "Mã nhóm sản phẩm"; rows are their variants.
    families_total = models.PositiveIntegerField(default=0)
    families_created = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"row", "column", "message"}]
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    RUNNING = (Status.VALIDATING, Status.APPLYING)

    @property
    def is_active(self) -> bool:
        """Waiting or running: the page keeps polling."""
        return self.status in (self.Status.PENDING, *self.RUNNING)

    @property
    def progress_percent(self) -> int:
        return int(self.rows_done * 100 / self.rows_total) if self.rows_total else 0


ProductVariant = Product  # what a family sells; the model keeps its old name (docs/catalog.md)
