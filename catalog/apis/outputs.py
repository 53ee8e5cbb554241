"""Output serializers shared by the catalog API views."""

from typing import Any

from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from catalog.models import Certification, Product, ProductFamily, ProductImage


def media_url(path: str | None) -> str | None:
    return default_storage.url(path) if path else None


class TierOutput(serializers.Serializer):
    min_qty = serializers.DecimalField(max_digits=14, decimal_places=3)
    price_vnd = serializers.IntegerField()


class _ImageList(serializers.ListSerializer):
    """A family's photos in order; the cover is the first READY one (as on the pages), not
    position 0, which may still be processing or have failed."""

    def to_representation(self, data):
        images = list(data.all() if hasattr(data, "all") else data)
        cover = next((i.pk for i in images if i.status == ProductImage.Status.READY), None)
        rows = super().to_representation(images)
        for row, image in zip(rows, images, strict=True):
            row["is_cover"] = image.pk == cover
        return rows


class _ShownImageList(_ImageList):
    """What buyers see, as on the pages: no FAILED photo (it never will have files); a PENDING one
    stays, without URLs, where the pages show a placeholder."""

    def to_representation(self, data):
        images = data.all() if hasattr(data, "all") else data
        return super().to_representation(
            [i for i in images if i.status != ProductImage.Status.FAILED]
        )


class ImageOutput(serializers.Serializer):
    class Meta:
        list_serializer_class = _ImageList

    id = serializers.IntegerField()
    position = serializers.IntegerField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    alt_vi = serializers.CharField()
    alt_en = serializers.CharField()
    is_cover = serializers.SerializerMethodField()
    status = serializers.ChoiceField(
        ProductImage.Status.choices,
        help_text="PENDING: uploaded, its variants are being made (no URLs yet); READY; "
        "FAILED: it could not be processed (see failure), delete it and upload again",
    )
    failure = serializers.SerializerMethodField(help_text="why it FAILED: {code, message}")
    variants = serializers.SerializerMethodField(help_text="empty until READY")

    def get_failure(self, image: ProductImage) -> dict | None:
        if image.status != ProductImage.Status.FAILED:
            return None
        return {"code": image.failure_code, "message": image.failure_message}

    def get_is_cover(self, image: ProductImage) -> bool:
        # Alone (an upload's answer): it is the cover if it is first and ready. In a list,
        # _ImageList marks the first READY one.
        return image.position == 0 and image.status == ProductImage.Status.READY

    def get_variants(self, image: ProductImage) -> dict:
        return {
            name: {
                "width": v["width"],
                "height": v["height"],
                "webp": media_url(v.get("webp")),
                "jpeg": media_url(v.get("jpeg")),
            }
            for name, v in (image.variants or {}).items()
            if image.status == ProductImage.Status.READY
        }


class ShownImageOutput(ImageOutput):
    """A photo in the buyers' (public) outputs: lists leave FAILED photos out."""

    class Meta:
        list_serializer_class = _ShownImageList


class CertificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    ocop_stars = serializers.IntegerField(allow_null=True)
    issuer = serializers.CharField()
    number = serializers.CharField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    is_shown = serializers.SerializerMethodField()
    family_ids = serializers.SerializerMethodField()
    product_ids = serializers.SerializerMethodField(
        help_text="the variants of the certified families"
    )

    def get_is_shown(self, cert: Certification) -> bool:
        return cert.is_shown(timezone.localdate())

    def get_family_ids(self, cert: Certification) -> list[int]:
        return sorted(f.pk for f in cert.families.all())

    def get_product_ids(self, cert: Certification) -> list[int]:
        return sorted(v.pk for f in cert.families.all() for v in f.variants.all())


class CertificationStaffOutput(CertificationOutput):
    """What the cooperative's staff and admins see: also where to download the private scan."""

    document_url = serializers.SerializerMethodField()

    def get_document_url(self, cert: Certification) -> str | None:
        return reverse("catalog:certification-document", args=[cert.pk]) if cert.document else None


class ProductOutput(serializers.Serializer):
    """What the cooperative's staff see of their own product."""

    id = serializers.IntegerField(help_text="the variant id (variant_id in cart and checkout)")
    cooperative_id = serializers.IntegerField()
    family_id = serializers.IntegerField()
    sku = serializers.CharField()
    options = serializers.DictField(child=serializers.CharField())
    variant_label = serializers.CharField()
    base_qty = serializers.DecimalField(max_digits=14, decimal_places=3, allow_null=True)
    base_unit = serializers.CharField()
    image_id = serializers.IntegerField(allow_null=True)
    slug = serializers.CharField()
    name_vi = serializers.CharField()
    name_en = serializers.CharField()
    description_vi = serializers.CharField()
    description_en = serializers.CharField()
    category_id = serializers.IntegerField(allow_null=True)
    origin_province_id = serializers.IntegerField(allow_null=True)
    unit = serializers.CharField()
    unit_display = serializers.CharField(source="get_unit_display")
    price_vnd = serializers.IntegerField(allow_null=True)
    min_order_qty = serializers.DecimalField(max_digits=14, decimal_places=3)
    order_step = serializers.DecimalField(max_digits=14, decimal_places=3)
    stock_qty = serializers.DecimalField(max_digits=14, decimal_places=3)
    unit_weight_kg = serializers.DecimalField(max_digits=14, decimal_places=3, allow_null=True)
    availability = serializers.CharField()
    harvest_start = serializers.DateField(allow_null=True)
    harvest_end = serializers.DateField(allow_null=True)
    season_months = serializers.ListField(child=serializers.IntegerField())
    lead_time_days = serializers.IntegerField()
    status = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    hs_code = serializers.CharField()
    incoterms = serializers.ListField(child=serializers.CharField())
    packaging = serializers.CharField()
    port_of_loading = serializers.CharField()
    monthly_capacity = serializers.DecimalField(max_digits=14, decimal_places=3, allow_null=True)
    price_tiers = TierOutput(many=True)
    images = ImageOutput(many=True, source="family.images.all", help_text="the family's photos")
    updated_at = serializers.DateTimeField()


# The `cooperative` and `category` method fields of the public product and family outputs: each
# output declares the two fields, the methods are the same for both. (A comment, not a docstring:
# drf-spectacular would take a docstring as the outputs' schema description.)
class _CooperativeAndCategory:
    def get_cooperative(self, item: Product | ProductFamily) -> dict:
        return {
            "id": item.cooperative_id,
            "slug": item.cooperative.slug,
            "name": item.cooperative.display_name,
        }

    def get_category(self, item: Product | ProductFamily) -> dict | None:
        c = item.category
        return (
            {"id": c.pk, "slug": c.slug, "name_vi": c.name_vi, "name_en": c.name_en} if c else None
        )


class PublicProductOutput(_CooperativeAndCategory, ProductOutput):
    cooperative = serializers.SerializerMethodField()
    category = serializers.SerializerMethodField()
    images = ShownImageOutput(
        many=True, source="family.images.all", help_text="the family's photos, none FAILED"
    )
    certifications = serializers.SerializerMethodField()

    def get_certifications(self, p: Product) -> Any:  # a ReturnList of certification dicts
        today = timezone.localdate()
        return CertificationOutput(
            [c for c in p.family.certifications.all() if c.is_shown(today)], many=True
        ).data


class VariantOutput(serializers.Serializer):
    """What is sold: the id to put in the cart (`variant_id`), options, unit, price, stock."""

    id = serializers.IntegerField(help_text="variant_id for the cart")
    sku = serializers.CharField()
    options = serializers.DictField(child=serializers.CharField())
    label = serializers.CharField(source="variant_label")  # type: ignore[assignment]
    unit = serializers.CharField()
    unit_display = serializers.CharField(source="get_unit_display")
    base_qty = serializers.DecimalField(max_digits=14, decimal_places=3, allow_null=True)
    base_unit = serializers.CharField()
    price_vnd = serializers.IntegerField(allow_null=True)
    price_tiers = TierOutput(many=True)
    min_order_qty = serializers.DecimalField(max_digits=14, decimal_places=3)
    order_step = serializers.DecimalField(max_digits=14, decimal_places=3)
    stock_qty = serializers.DecimalField(max_digits=14, decimal_places=3)
    unit_weight_kg = serializers.DecimalField(max_digits=14, decimal_places=3, allow_null=True)
    lead_time_days = serializers.IntegerField()
    packaging = serializers.CharField()
    image_id = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()


class FamilyOutput(serializers.Serializer):
    """A product family: what its variants share, its price range and its variants."""

    id = serializers.IntegerField(help_text="the family (product) id")
    cooperative_id = serializers.IntegerField()
    slug = serializers.CharField()
    name_vi = serializers.CharField()
    name_en = serializers.CharField()
    description_vi = serializers.CharField()
    description_en = serializers.CharField()
    category_id = serializers.IntegerField(allow_null=True)
    origin_province_id = serializers.IntegerField(allow_null=True)
    availability = serializers.CharField()
    harvest_start = serializers.DateField(allow_null=True)
    harvest_end = serializers.DateField(allow_null=True)
    season_months = serializers.ListField(child=serializers.IntegerField())
    hs_code = serializers.CharField()
    incoterms = serializers.ListField(child=serializers.CharField())
    port_of_loading = serializers.CharField()
    family_key = serializers.CharField()
    images = ImageOutput(many=True, source="images.all")
    price_min_vnd = serializers.SerializerMethodField()
    price_max_vnd = serializers.SerializerMethodField()
    variant_count = serializers.SerializerMethodField()
    option_values = serializers.SerializerMethodField(
        help_text="{kind: [values in variant order]}: the chips of a variant picker"
    )
    variants = VariantOutput(many=True, source="shown_variants")

    def _prices(self, f) -> list[int]:
        return [v.price_vnd for v in f.shown_variants if v.price_vnd]

    def get_price_min_vnd(self, f: ProductFamily) -> int | None:
        return min(self._prices(f), default=None)

    def get_price_max_vnd(self, f: ProductFamily) -> int | None:
        return max(self._prices(f), default=None)

    def get_variant_count(self, f: ProductFamily) -> int:
        return len(f.shown_variants)

    def get_option_values(self, f: ProductFamily) -> dict[str, list[str]]:
        from catalog.options import KINDS

        out: dict[str, list[str]] = {}
        for v in f.shown_variants:
            for kind in KINDS:
                value = (v.options or {}).get(kind)
                if value and value not in out.setdefault(kind, []):
                    out[kind].append(value)
        return {k: vals for k, vals in out.items() if vals}


class PublicFamilyOutput(_CooperativeAndCategory, FamilyOutput):
    cooperative = serializers.SerializerMethodField()
    category = serializers.SerializerMethodField()
    images = ShownImageOutput(many=True, source="images.all", help_text="photos, none FAILED")


class PublicFamilyDetailOutput(PublicFamilyOutput):
    certifications = serializers.SerializerMethodField()

    def get_certifications(self, f: ProductFamily) -> list[dict]:
        today = timezone.localdate()
        shown = [c for c in f.certifications.all() if c.is_shown(today)]
        return [
            {
                "id": c.pk,
                "kind": c.kind,
                "kind_display": c.get_kind_display(),
                "ocop_stars": c.ocop_stars,
                "issuer": c.issuer,
                "number": c.number,
                "valid_until": c.valid_until,
            }
            for c in shown
        ]


class ImportJobOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    active = serializers.BooleanField(source="is_active")  # PENDING or running: poll again
    original_name = serializers.CharField()
    file_format = serializers.CharField()
    encoding = serializers.CharField()
    rows_total = serializers.IntegerField()
    rows_done = serializers.IntegerField()
    progress_percent = serializers.IntegerField()
    rows_created = serializers.IntegerField()
    rows_updated = serializers.IntegerField()
    families_total = serializers.IntegerField(help_text="products (families) in the file")
    families_created = serializers.IntegerField(help_text="of which new")
    # An output field named like Serializer.errors; only .data is ever read from this serializer.
    errors = serializers.ListField(child=serializers.DictField())  # type: ignore[assignment]
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
