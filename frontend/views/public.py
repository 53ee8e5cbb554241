"""Public buyer pages: home, cooperative directory and profile, product page."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from catalog.options import KINDS
from catalog.picker import choices, variant_for_options
from frontend import reads
from frontend.forms import AddToCartForm, DirectoryFilterForm
from frontend.views.common import PageRequest, not_found_as_404, page_params
from market.cooperatives import selectors as market_selectors
from market.models import Cooperative


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/home.html", reads.home_data())


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET)
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    page = Paginator(market_selectors.cooperative_list_public(filters=filters), 24).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "frontend/directory.html",
        {
            "page": page,
            "provinces": market_selectors.province_list_for_picker(),
            "sectors": Cooperative.Sector.choices,
            "province": filters.get("province"),
            "sector": filters.get("sector", ""),
            "querystring_base": page_params(request),
        },
    )


@require_GET
@not_found_as_404
def coop_profile(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "frontend/coop_profile.html", reads.cooperative_profile(slug=slug))


@require_GET
@not_found_as_404
def product(request: PageRequest, pk: int, slug: str) -> HttpResponse:
    """A product family's page, showing variant `pk`. The picker (`?pack=…&crop_year=…`, a GET
    form) moves to the variant with the chosen options: a redirect without JS; with htmx the
    chosen variant's page is answered at once (its panel is swapped in, the URL pushed)."""
    context = reads.product_detail(product_id=pk)
    p = context["product"]
    wanted = {k: request.GET[k] for k in KINDS if request.GET.get(k)}
    target = variant_for_options(context["variants"], wanted, p) if wanted else p
    if target.pk != p.pk and not request.htmx:
        return redirect("frontend:product", pk=target.pk, slug=target.slug)
    if target.pk != p.pk:
        context = reads.product_detail(product_id=target.pk)
        p = context["product"]
    elif slug != p.slug:
        return redirect("frontend:product", pk=p.pk, slug=p.slug, permanent=True)
    context["cart_form"] = AddToCartForm(initial={"product": p.pk})
    context["picker"] = choices(context["variants"], p) if len(context["variants"]) > 1 else []
    response = render(request, "frontend/product.html", context)
    if request.htmx:
        response["HX-Push-Url"] = reverse("frontend:product", args=[p.pk, p.slug])
    return response
