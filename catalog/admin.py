"""Django admin: categories, product families (variants and images inline), variants (tiers inline), certifications with a check
action that goes through the same service as the API (event rows, outbox, re-check)."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from catalog.models import (
    Category,
    Certification,
    ImportJob,
    PriceTier,
    Product,
    ProductEvent,
    ProductFamily,
    ProductImage,
)
from catalog.services import certification_check
from market.errors import DomainError
from market.models import User
from market.shared.outbox import record_changes


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name_vi", "name_en", "slug", "parent", "position")
    list_filter = (("parent", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name_vi", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_en",)}

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Its names are on the products' search documents and result cards (search.cards keeps
        # them per process until a content change commits): the outbox row moves both on.
        record_changes(entity="category", ids=[obj.pk])


class PriceTierInline(admin.TabularInline):
    model = PriceTier
    extra = 0


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = (
        "position",
        "status",
        "failure_code",
        "original",
        "width",
        "height",
        "alt_vi",
        "alt_en",
    )
    readonly_fields = (
        "status",
        "failure_code",
        "original",
        "width",
        "height",
    )  # uploads go through the Pillow pipeline (API, then the product_image_process task)


class ProductEventInline(admin.TabularInline):
    model = ProductEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "actor", "action", "changes")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VariantInline(admin.TabularInline):
    model = Product
    extra = 0
    fields = ("sku", "options", "unit", "price_vnd", "min_order_qty", "stock_qty", "status")
    readonly_fields = ("stock_qty", "status")  # stock and status only through the services
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # variants are made by catalog.services.families (checks, shared copy)


@admin.register(ProductFamily)
class ProductFamilyAdmin(admin.ModelAdmin):
    list_display = ("name_vi", "cooperative", "category", "family_key", "created_at")
    search_fields = ("name_vi", "name_en", "family_key", "cooperative__legal_name")
    list_select_related = ("cooperative", "category")
    raw_id_fields = ("cooperative", "origin_province")
    readonly_fields = ("family_key",)
    inlines = [VariantInline, ProductImageInline]

    def save_model(self, request: HttpRequest, obj: ProductFamily, form: Any, change: bool) -> None:
        # What the variants share is copied to each of them (their read copy, docs/catalog.md).
        from catalog.services.common import copy_shared_to_variants

        super().save_model(request, obj, form, change)
        if change:
            copy_shared_to_variants(obj, obj.shared_values())


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = (
        "name_vi",
        "sku",
        "cooperative",
        "category",
        "unit",
        "price_vnd",
        "stock_qty",
        "status",
    )
    list_filter = ("status", "availability", "unit", ("category", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name_vi", "name_en", "sku", "cooperative__legal_name")
    list_select_related = ("cooperative", "category")
    raw_id_fields = ("cooperative", "origin_province", "family", "image")
    readonly_fields = (
        "stock_qty",
        "published_at",
    )  # stock only through catalog.stock (locks, events)
    inlines = [PriceTierInline, ProductEventInline]

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # As the services do: the search document and the result cards' kept parts follow.
        record_changes(entity="product", ids=[obj.pk])


@admin.action(description=_("Verify the selected certifications"))
def verify_certifications(
    modeladmin: "admin.ModelAdmin[Any]", request: HttpRequest, queryset: QuerySet[Any]
) -> None:
    _check(modeladmin, request, queryset, True)


@admin.action(description=_("Reject the selected certifications"))
def reject_certifications(
    modeladmin: "admin.ModelAdmin[Any]", request: HttpRequest, queryset: QuerySet[Any]
) -> None:
    _check(modeladmin, request, queryset, False)


def _check(
    modeladmin: "admin.ModelAdmin[Any]",
    request: HttpRequest,
    queryset: QuerySet[Any],
    verified: bool,
) -> None:
    assert isinstance(request.user, User)  # the admin site signs its users in
    done = 0
    for cert in queryset:
        try:
            certification_check(actor=request.user, certification_id=cert.pk, verified=verified)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{cert}: {exc.message}", messages.WARNING)
    modeladmin.message_user(
        request, _("%(n)s certifications checked.") % {"n": done}, messages.SUCCESS
    )


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "cooperative",
        "kind",
        "ocop_stars",
        "number",
        "valid_until",
        "status",
    )
    list_filter = ("status", "kind")
    search_fields = ("number", "issuer", "cooperative__legal_name")
    # The scan is private: no upload widget here (it would skip the content checks and show a
    # /media/ link); a link to the authorised download view instead.
    exclude = ("document",)
    readonly_fields = ("document_link", "status", "checked_by", "checked_at", "expiry_notified_at")
    raw_id_fields = ("cooperative",)
    filter_horizontal = ("families",)
    actions = [verify_certifications, reject_certifications]

    @admin.display(description=_("Certificate file"))
    def document_link(self, cert: Certification) -> str:
        if not cert.pk or not cert.document:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("catalog:certification-document", args=[cert.pk]),
            _("Download"),
        )


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "cooperative",
        "original_name",
        "status",
        "rows_total",
        "rows_created",
        "rows_updated",
        "created_at",
    )
    list_filter = ("status", "file_format")
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
