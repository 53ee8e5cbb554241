"""Catalog API under /api/v1/."""

from django.urls import path, re_path

from catalog.apis import downloads, families, media, products, public

app_name = "catalog"
P = "cooperatives/<id:coop_id>/products/<id:product_id>/"
F = "cooperatives/<id:coop_id>/families/<id:family_id>/"
urlpatterns = [
    path("categories/", public.CategoryTreeApi.as_view(), name="category-tree"),
    path("products/", families.FamilyPublicListApi.as_view(), name="family-public-list"),
    path(
        "families/<id:family_id>/",
        families.FamilyPublicDetailApi.as_view(),
        name="family-public",
    ),
    path(
        "cooperatives/<id:coop_id>/families/",
        families.FamilyCreateApi.as_view(),
        name="family-list",
    ),
    path(F, families.FamilyDetailUpdateApi.as_view(), name="family-detail"),
    path(F + "variants/", families.VariantAddApi.as_view(), name="variant-add"),
    path(F + "variants/bulk/", families.VariantsBulkEditApi.as_view(), name="variant-bulk"),
    path(
        "products/<id:product_id>/", public.ProductPublicDetailApi.as_view(), name="product-public"
    ),
    # A fixed set of formats: the format goes into Content-Disposition, so nothing else may match.
    re_path(
        r"^catalog/import-template\.(?P<fmt>csv|xlsx)$",
        public.ImportTemplateApi.as_view(),
        name="import-template",
    ),
    path(
        "cooperatives/<id:coop_id>/products/",
        products.ProductListCreateApi.as_view(),
        name="product-list",
    ),
    path(P, products.ProductDetailUpdateApi.as_view(), name="product-detail"),
    path(P + "publish/", products.ProductPublishApi.as_view(), name="product-publish"),
    path(P + "archive/", products.ProductArchiveApi.as_view(), name="product-archive"),
    path(P + "price-tiers/", products.ProductTiersSetApi.as_view(), name="product-tiers"),
    path(P + "stock/", products.ProductStockAdjustApi.as_view(), name="product-stock"),
    path(P + "images/", media.ProductImageAddApi.as_view(), name="product-image-add"),
    path(
        P + "images/reorder/", media.ProductImageReorderApi.as_view(), name="product-image-reorder"
    ),
    path(
        P + "images/<id:image_id>/",
        media.ProductImageDeleteApi.as_view(),
        name="product-image-delete",
    ),
    path(
        "cooperatives/<id:coop_id>/certifications/",
        media.CertificationListClaimApi.as_view(),
        name="certification-list",
    ),
    path(
        "certifications/<id:cert_id>/document/",
        downloads.CertificationDocumentDownloadApi.as_view(),
        name="certification-document",
    ),
    path(
        "certifications/<id:cert_id>/check/",
        media.CertificationCheckApi.as_view(),
        name="certification-check",
    ),
    path(
        "cooperatives/<id:coop_id>/imports/", public.ImportStartApi.as_view(), name="import-start"
    ),
    path(
        "cooperatives/<id:coop_id>/imports/<id:job_id>/",
        public.ImportJobDetailApi.as_view(),
        name="import-detail",
    ),
    path(
        "cooperatives/<id:coop_id>/imports/<id:job_id>/apply/",
        public.ImportJobApplyApi.as_view(),
        name="import-apply",
    ),
]
