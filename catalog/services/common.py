"""Helpers every catalog service uses inside its transaction: fetch-and-authorize with a row
lock, the audit event, and the outbox row for search."""

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from catalog.models import Product, ProductEvent, ProductFamily
from market.cooperatives.selectors import is_cooperative_staff
from market.errors import NotFound
from market.models import User
from market.reference.admin_units import fold
from market.shared.outbox import record_changes

# on_progress(done, total): how long work (an import) reports how far it got.
Progress = Callable[[int, int], object]


def check_staff(actor: User | None, cooperative_id: int) -> None:
    """Services re-check membership even though the API did: the same answer as a missing row."""
    if not is_cooperative_staff(user=actor, cooperative_id=cooperative_id):
        raise NotFound()


def upload_check(cooperative_id: int) -> None:
    """Before decoding or storing an upload: only submitted/verified cooperatives, and only with
    storage quota left (market.cooperatives.quota). Raises CooperativeNotSubmitted, StorageQuotaExceeded."""
    from market.cooperatives import quota
    from market.models import Cooperative

    cooperative = Cooperative.objects.only("status", "storage_used_bytes").get(pk=cooperative_id)
    quota.upload_allowed_check(cooperative)
    quota.storage_check(cooperative)


def lock_own_product(*, actor: User | None, cooperative_id: int, product_id: int) -> Product:
    """Lock the product for this transaction if it belongs to the actor's cooperative."""
    assert transaction.get_connection().in_atomic_block
    check_staff(actor, cooperative_id)
    try:
        return Product.objects.select_for_update().get(pk=product_id, cooperative_id=cooperative_id)
    except Product.DoesNotExist:
        raise NotFound() from None


def changed(
    product: Product, *, actor: User | None, action: str, changes: dict[str, Any] | None = None
) -> None:
    """Audit row + search outbox row, in the caller's transaction."""
    ProductEvent.objects.create(product=product, actor=actor, action=action, changes=changes or {})
    record_changes(entity="product", ids=[product.pk])


def copy_shared_to_variants(
    family: ProductFamily, values: dict[str, Any], *, slug: str | None = None, record: bool = True
) -> list[int]:
    """Write shared values on the family and copy them to every variant row (the read copy, see
    docs/catalog.md), in the caller's transaction. Returns the variant ids; records them in the
    search outbox unless the caller does (`record=False`, one outbox call for a whole import)."""
    for field, value in values.items():
        setattr(family, field, value)
    if slug:
        family.slug = slug
    family.save()
    ids = list(family.variants.order_by("pk").values_list("pk", flat=True))
    if copy := {**values, **({"slug": slug} if slug else {})}:
        Product.objects.filter(pk__in=ids).update(**copy)
    if record:
        record_changes(entity="product", ids=ids)
    return ids


def product_slug(name: str) -> str:
    return slugify(fold(name))[:200] or "san-pham"


def jsonable(value: object) -> object:
    if value is None or isinstance(value, (bool, int, str, list, dict)):
        return value
    return str(value)
