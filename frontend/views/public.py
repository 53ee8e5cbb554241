"""Public buyer pages: home, cooperative directory and profile, product page."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from catalog.options import KINDS
from catalog.picker import choices, variant_for_options
from frontend import reads
from frontend.forms import AddToCartForm, DirectoryFilterForm
from frontend.templatetags.market_ui import tr
from frontend.views.common import (
    PageRequest,
    fill_csrf_hole,
    not_found_as_404,
    page_params,
    render_for_guests,
    shared_content,
)
from market.cooperatives import selectors as market_selectors
from market.models import Cooperative
from market.shared import pagecache


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    content = shared_content(
        request, "frontend/partials/home_content.html", reads.home_data, name="home", key=()
    )
    return render(request, "frontend/home.html", {"content": content})


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    def build() -> dict:
        form = DirectoryFilterForm(request.GET)
        filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
        page = Paginator(market_selectors.cooperative_list_public(filters=filters), 24).get_page(
            request.GET.get("page")
        )
        return {
            "page": page,
            "provinces": market_selectors.province_list_for_picker(),
            "sectors": Cooperative.Sector.choices,
            "province": filters.get("province"),
            "sector": filters.get("sector", ""),
            "querystring_base": page_params(request),
        }

    content = shared_content(
        request,
        "frontend/partials/directory_content.html",
        build,
        name="directory",
        key=sorted(request.GET.lists()),
    )
    return render(request, "frontend/directory.html", {"content": content})


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
    wanted = {k: request.GET[k] for k in KINDS if request.GET.get(k)}
    guest = not request.user.is_authenticated and pagecache.seconds() > 0
    if guest and not wanted and not request.htmx:  # the same page for every guest: shared
        page = pagecache.cached("product", pk, lambda: _guest_page(pk), keep=lambda v: True)
        if slug != page["slug"]:
            return redirect("frontend:product", pk=pk, slug=page["slug"], permanent=True)
        content = fill_csrf_hole(request, page["html"])
        return render(
            request, "frontend/product.html", {"title": page["title"], "content": content}
        )
    context = reads.product_detail(product_id=pk)
    p = context["product"]
    target = variant_for_options(context["variants"], wanted, p) if wanted else p
    if target.pk != p.pk and not request.htmx:
        return redirect("frontend:product", pk=target.pk, slug=target.slug)
    if target.pk != p.pk:
        context = reads.product_detail(product_id=target.pk)
        p = context["product"]
    elif slug != p.slug:
        return redirect("frontend:product", pk=p.pk, slug=p.slug, permanent=True)
    content = mark_safe(
        get_template("frontend/partials/product_content.html").render(
            _product_context(context), request
        )
    )
    response = render(
        request, "frontend/product.html", {"title": tr(p, "name"), "content": content}
    )
    if request.htmx:
        response["HX-Push-Url"] = reverse("frontend:product", args=[p.pk, p.slug])
    return response


def _guest_page(pk: int) -> dict:
    context = _product_context(reads.product_detail(product_id=pk))
    p = context["product"]
    html = render_for_guests("frontend/partials/product_content.html", context)
    return {"slug": p.slug, "title": tr(p, "name"), "html": html}


def _product_context(context: dict) -> dict:
    p = context["product"]
    context["cart_form"] = AddToCartForm(initial={"product": p.pk})
    context["picker"] = choices(context["variants"], p) if len(context["variants"]) > 1 else []
    return context
