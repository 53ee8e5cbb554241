"""A cooperative's work on many products at once: publish, unpublish or set the stock of a
selection (each refusal named in words), and attach a ZIP of photos named by SKU. One domain
call per post (catalog.services.bulk), then back to the page it came from."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from catalog.services import bulk
from frontend.views.common import SignedInRequest
from frontend.views.coop import coop_staff
from market.errors import DomainError
from market.models import Cooperative


def _ids(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit() and len(str(v)) < 19]


def _quantity(raw: str) -> Decimal | None:
    try:
        return Decimal((raw or "").replace(",", ".")) if raw.strip() else None
    except InvalidOperation:
        return None


@require_POST
@coop_staff
def products_bulk(request: SignedInRequest, coop: Cooperative) -> HttpResponse:
    try:
        result = bulk.product_bulk_action(
            actor=request.user,
            cooperative_id=coop.pk,
            product_ids=_ids(request.POST.getlist("products")),
            action=request.POST.get("action", ""),
            quantity=_quantity(request.POST.get("quantity", "")),
        )
    except DomainError as exc:
        reasons = [str(m) for msgs in (exc.fields or {}).values() for m in msgs]
        messages.error(request, " ".join(reasons or [str(exc.message)]))
        return redirect("frontend:coop_products", coop.pk)
    if result.done:
        n = len(result.done)
        messages.success(
            request, ngettext("%(n)s product updated.", "%(n)s products updated.", n) % {"n": n}
        )
    names = dict(coop.products.filter(pk__in=result.refused).values_list("pk", "name_vi"))
    for pid, reasons in result.refused.items():
        messages.error(
            request,
            _("%(name)s was not changed: %(reasons)s")
            % {"name": names.get(pid, f"#{pid}"), "reasons": " ".join(reasons)},
        )
    return redirect("frontend:coop_products", coop.pk)


@require_POST
@coop_staff
def import_photos(request: SignedInRequest, coop: Cooperative) -> HttpResponse:
    upload = request.FILES.get("photos")
    if upload is None:
        messages.error(request, _("Choose a ZIP file of photos."))
        return redirect("frontend:coop_import", coop.pk)
    try:
        report = bulk.product_photos_from_zip(
            actor=request.user, cooperative_id=coop.pk, data=upload.read()
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("frontend:coop_import", coop.pk)
    n = sum(report.attached.values())
    messages.success(
        request,
        ngettext("%(n)s photo added to %(p)s product.", "%(n)s photos added to %(p)s products.", n)
        % {"n": n, "p": len(report.attached)},
    )
    for problem in report.problems[:20]:
        messages.warning(request, problem)
    return redirect("frontend:coop_products", coop.pk)
