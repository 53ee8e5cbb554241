"""A cooperative's product family on its product page: the variants table with bulk price and
stock edits, adding a variant (options, SKU, unit, price, MOQ, stock) and deleting one. What the
variants share is edited by the product form above them (product_update copies it to every
variant). Every post makes one catalog service call and redirects back (works without JS)."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from catalog import selectors as catalog_selectors
from catalog.models import Product
from catalog.services import families as family_services
from catalog.units import Unit
from frontend.views.common import SignedInRequest, run_one
from frontend.views.coop import coop_staff
from market.models import Cooperative, User


class VariantAddForm(forms.Form):
    sku = forms.CharField(label=gettext_lazy("SKU"), max_length=64)
    pack = forms.CharField(label=gettext_lazy("Pack size"), max_length=60, required=False)
    grade = forms.CharField(label=gettext_lazy("Grade"), max_length=60, required=False)
    crop_year = forms.CharField(label=gettext_lazy("Crop year"), max_length=10, required=False)
    style = forms.CharField(label=gettext_lazy("Style"), max_length=60, required=False)
    unit = forms.ChoiceField(label=gettext_lazy("Unit of sale"), choices=Unit.choices)
    price_vnd = forms.IntegerField(label=gettext_lazy("Price (VND)"), min_value=1)
    min_order_qty = forms.DecimalField(
        label=gettext_lazy("Minimum order"), min_value=Decimal("0.001"), decimal_places=3
    )
    stock_qty = forms.DecimalField(
        label=gettext_lazy("Stock"), min_value=Decimal("0"), decimal_places=3, initial=0
    )

    def variant_data(self) -> dict:
        d = self.cleaned_data
        options = {k: d[k] for k in ("pack", "grade", "crop_year", "style") if d.get(k)}
        return {
            "sku": d["sku"],
            "options": options,
            "unit": d["unit"],
            "price_vnd": d["price_vnd"],
            "min_order_qty": d["min_order_qty"],
            "order_step": Decimal("1") if d["min_order_qty"] % 1 == 0 else d["min_order_qty"],
            "stock_qty": d["stock_qty"],
        }


def family_context(*, user: User, coop: Cooperative, product: Product) -> dict[str, Any]:
    """What the product page shows of the family: its variants (every status) and the forms."""
    family = catalog_selectors.family_get_for_staff(
        user=user, cooperative_id=coop.pk, family_id=product.family_id
    )
    return {
        "family": family,
        "variants": getattr(family, "shown_variants", []),
        "variant_form": VariantAddForm(
            initial={
                "unit": product.unit,
                "price_vnd": product.price_vnd,
                "min_order_qty": product.min_order_qty,
                "stock_qty": 0,
            }
        ),
    }


def _back(coop, product_id):
    return redirect("frontend:coop_product_edit", coop.pk, product_id)


@require_POST
@coop_staff
def variants_bulk(request: SignedInRequest, coop: Cooperative, product_id: int) -> HttpResponse:
    """Prices and stock of every variant of the family, from one form (`price_<id>`,
    `stock_<id>`; an empty box leaves that value alone). All or nothing."""
    product = catalog_selectors.product_get_for_staff(
        user=request.user, cooperative_id=coop.pk, product_id=product_id
    )
    rows: list[dict[str, Any]] = []
    for variant in product.family.variants.order_by("position", "pk"):
        price = request.POST.get(f"price_{variant.pk}", "").strip().replace(".", "")
        stock = request.POST.get(f"stock_{variant.pk}", "").strip().replace(",", ".")
        if price or stock:
            rows.append({"variant_id": variant.pk, "price_vnd": price, "stock_qty": stock})
    try:
        [Decimal(r["stock_qty"]) for r in rows if r["stock_qty"]]
    except InvalidOperation:
        rows = [{"variant_id": 0}]  # the service answers "not found" for a bad row
    run_one(
        request,
        lambda: family_services.variants_bulk_edit(
            actor=request.user, cooperative_id=coop.pk, family_id=product.family_id, rows=rows
        ),
        _("Prices and stock saved."),
        describe=_describe,
    )
    return _back(coop, product_id)


@require_POST
@coop_staff
def variant_add(request: SignedInRequest, coop: Cooperative, product_id: int) -> HttpResponse:
    product = catalog_selectors.product_get_for_staff(
        user=request.user, cooperative_id=coop.pk, product_id=product_id
    )
    form = VariantAddForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{form.fields[k].label}: {v[0]}" for k, v in form.errors.items())
        messages.error(request, errors)
        return _back(coop, product_id)
    run_one(
        request,
        lambda: family_services.variant_add(
            actor=request.user,
            cooperative_id=coop.pk,
            family_id=product.family_id,
            data=form.variant_data(),
        ),
        _("Variant added as a draft: publish it to sell it."),
        describe=_describe,
    )
    return _back(coop, product_id)


def _describe(exc) -> str:
    """The error and every message under it, nested ones too (a bulk row, an option), in words."""
    out = []

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
        elif value not in (None, ""):
            out.append(str(value))

    walk(exc.fields or {})
    return "; ".join([str(exc.message), *out[:6]])


@require_POST
@coop_staff
def variant_delete(
    request: SignedInRequest, coop: Cooperative, product_id: int, variant_id: int
) -> HttpResponse:
    run_one(
        request,
        lambda: family_services.variant_delete(
            actor=request.user, cooperative_id=coop.pk, variant_id=variant_id
        ),
        _("Variant deleted."),
        describe=_describe,
    )
    if variant_id == product_id:
        return redirect("frontend:coop_products", coop.pk)
    return _back(coop, product_id)
