"""Public buyer pages: home, cooperative directory and profile, product page."""

from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from frontend import reads
from frontend.forms import AddToCartForm, DirectoryFilterForm
from frontend.views.common import not_found_as_404, page_params
from market import selectors as market_selectors
from market.models import Cooperative


@require_GET
def home(request):
    return render(request, "frontend/home.html", reads.home_data())


@require_GET
def directory(request):
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
def coop_profile(request, slug):
    return render(request, "frontend/coop_profile.html", reads.cooperative_profile(slug=slug))


@require_GET
@not_found_as_404
def product(request, pk, slug):
    context = reads.product_detail(product_id=pk)
    p = context["product"]
    if slug != p.slug:
        return redirect("frontend:product", pk=p.pk, slug=p.slug, permanent=True)
    context["cart_form"] = AddToCartForm(initial={"product": p.pk})
    return render(request, "frontend/product.html", context)
