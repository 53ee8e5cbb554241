"""Public buyer pages: home, cooperative directory and profile, product page."""
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from frontend import reads
from frontend.forms import AddToCartForm, DirectoryFilterForm
from market.models import Cooperative, Province


@require_GET
def home(request):
    return render(request, "frontend/home.html", reads.home_data())


@require_GET
def directory(request):
    form = DirectoryFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    qs = reads.cooperative_directory(province=data.get("province"), sector=data.get("sector"))
    page = Paginator(qs, 24).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "frontend/directory.html", {
        "page": page, "provinces": Province.objects.all(), "sectors": Cooperative.Sector.choices,
        "province": data.get("province"), "sector": data.get("sector") or "",
        "querystring_base": params.urlencode() + "&" if params else "",
    })


@require_GET
def coop_profile(request, slug):
    return render(request, "frontend/coop_profile.html", reads.cooperative_profile(slug=slug))


@require_GET
def product(request, coop_slug, slug):
    context = reads.product_detail(coop_slug=coop_slug, slug=slug)
    p = context["product"]
    context["cart_form"] = AddToCartForm(initial={"product": p.pk, "quantity": p.min_order_qty.normalize()})
    return render(request, "frontend/product.html", context)
