"""Catalog writes. Every change writes a ProductEvent and an outbox row in its transaction."""

from catalog.services.certifications import (
    certification_check,
    certification_claim,
    certifications_expire,
)
from catalog.services.images import (
    product_image_add,
    product_image_delete,
    product_image_process,
    product_image_reorder,
)
from catalog.services.imports import (
    import_job_apply,
    import_job_resume_if_stale,
    import_job_run,
    import_job_start,
)
from catalog.services.products import (
    product_archive,
    product_create,
    product_price_tiers_set,
    product_publish,
    product_stock_adjust,
    product_update,
)

__all__ = [
    "certification_check",
    "certification_claim",
    "certifications_expire",
    "import_job_apply",
    "import_job_resume_if_stale",
    "import_job_run",
    "import_job_start",
    "product_archive",
    "product_create",
    "product_image_add",
    "product_image_delete",
    "product_image_process",
    "product_image_reorder",
    "product_price_tiers_set",
    "product_publish",
    "product_stock_adjust",
    "product_update",
]
