"""Search results with facets (htmx swaps the results area and pushes the URL; without JS the
same GET form reloads the page) and the autocomplete partial."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import get_template, render_to_string
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from frontend import reads
from frontend.forms import SearchForm
from frontend.templatetags.market_ui import vnd
from frontend.views.common import PageRequest, page_params
from market.errors import DomainError
from market.shared import pagecache
from search.backends import Query
from search.backends.base import PRICE_BUCKETS
from search.errors import SearchUnavailable
from search.selectors import family_cards_for, product_search, product_suggest

PAGE_SIZE = 24
SHOWN_FACETS = (
    ("category", gettext_lazy("Category")),
    ("province", gettext_lazy("Province")),
    ("certification", gettext_lazy("Certification")),
    ("price", gettext_lazy("Price")),
    ("pack", gettext_lazy("Pack size")),  # the variants' options (one card per family)
    ("crop_year", gettext_lazy("Crop year")),
    ("grade", gettext_lazy("Grade")),
)


def _query(values: dict) -> Query:
    price = values.pop("price", None)
    if price is not None and price < len(PRICE_BUCKETS):
        values["price_min"], values["price_max"] = PRICE_BUCKETS[price]
    values.setdefault("sort", "relevance")
    return Query(**values, size=PAGE_SIZE)


def _price_label(option: dict) -> str:
    """Price buckets in the page's money format ("Dưới 50.000 ₫" / "Under ₫50,000")."""
    lo, hi = option.get("from"), option.get("to")
    if lo is None:
        return _("Under %(hi)s") % {"hi": vnd(hi)}
    if hi is None:
        return _("From %(lo)s") % {"lo": vnd(lo)}
    return f"{vnd(lo)} – {vnd(hi)}"


def _facets(page, values: dict) -> list[dict]:
    out = []
    for name, label in SHOWN_FACETS:
        chosen = values.get(name)
        options = [{**o, "selected": o["value"] == chosen} for o in page.facets.get(name, [])]
        if name == "price":
            options = [{**o, "label": _price_label(o)} for o in options]
        if name == "category":
            options = reads.category_tree(options)
        out.append(
            {
                "name": name,
                "label": label,
                "options": options,
                "selected": chosen is not None,
                "estimated": name in page.estimated_facets,  # its counts marked "~"
            }
        )
    return out


def _chips(request, facets: list[dict], values: dict) -> list[dict]:
    """The active filters, each with the link that removes it (and the page number)."""
    chips = []
    for facet in facets:
        chosen = [o for o in facet["options"] if o.get("selected")]
        if chosen:
            label = chosen[0]["label"]
        elif values.get(facet["name"]) is not None:  # a filter that matches nothing is listed too
            label = reads.filter_value_label(facet["name"], values[facet["name"]])
        else:
            continue
        chips.append({"label": f"{facet['label']}: {label}", "param": facet["name"]})
    if values.get("in_stock"):
        chips.append({"label": _("In stock only"), "param": "in_stock"})
    for chip in chips:
        params = request.GET.copy()
        for key in (chip["param"], "page"):
            params.pop(key, None)
        chip["url"] = "?" + params.urlencode()
    return chips


@require_GET
def search(request: PageRequest) -> HttpResponse:
    build = lambda: _results_area(request, SearchForm(request.GET).values())  # noqa: E731
    if request.user.is_authenticated:  # cards may show the signed-in buyer's USD prices
        area = build()
    else:  # the same for every guest: shared briefly (market.shared.pagecache)
        area = pagecache.cached(
            "search-area",
            sorted(request.GET.lists()),
            build,
            keep=lambda a: a["status"] == 200 and not a["degraded"],
        )
    if request.htmx and not request.htmx.boosted:
        response = HttpResponse(area["html"], status=area["status"])
    else:
        # The query comes with the area (the same GET parameters give the same cleaned query):
        # a page served from the cache does not clean its parameters again (a form of 13
        # fields, deep-copied for each request: ~10% of a cached page's CPU).
        q = area["q"] if "q" in area else SearchForm(request.GET).values().get("q", "")
        context = {"q": q, "area": mark_safe(area["html"])}
        response = render(request, "frontend/search.html", context, status=area["status"])
    if area["degraded"]:  # the search engine is down: the database answered
        response["X-Search-Degraded"] = "1"
    return response


def _results_area(request: PageRequest, values: dict) -> dict:
    """The results area (search box, filters, chips, cards, pager) as HTML, with its status;
    nothing in it depends on who asks, except the USD hints for a signed-in export buyer."""
    context = {
        "q": values.get("q", ""),
        "form": values,
        "cards": [],
        "total": 0,
        "total_exact": True,
        "facets": [],
        "errors": [],
        "querystring_base": page_params(request),
        "sorts": [
            ("relevance", _("Most relevant")),
            ("price_asc", _("Price: low to high")),
            ("price_desc", _("Price: high to low")),
            ("newest", _("Newest")),
        ],
    }
    status = 200
    try:
        page = product_search(_query(dict(values)), hydrate=False)
    except DomainError as exc:
        status = 503 if isinstance(exc, SearchUnavailable) else 400
        context["errors"] = [exc.message]
    else:
        # One card per product family; its photos came with it (search._hydrate).
        facets = _facets(page, values)
        for facet in facets:  # a chosen value with no results has no option: still removable
            facet["selected"] = values.get(facet["name"]) is not None
        chips = _chips(request, facets, values)
        context.update(
            cards=_cards(request, page.ids),
            total=page.total,
            total_exact=page.total_exact,  # False: "about N" (estimated facets: "~" counts)
            facets=facets,
            chips=chips,
            clear_url="?" + urlencode({"q": values["q"]}) if values.get("q") else "?",
            suggestions=page.suggestions,
            corrected_query=page.corrected_query,
            degraded=page.degraded,
            page=_Pager(page),
        )
        if not page.total:  # no results: offer the categories nearest to what was asked
            context["nearest_categories"] = reads.nearest_categories(q=values.get("q", ""))
    html = render_to_string("frontend/partials/search_area.html", context, request=request)
    degraded = bool(context.get("degraded"))
    return {"html": html, "status": status, "degraded": degraded, "q": context["q"]}


def _cards(request: PageRequest, ids: list[int]) -> list[str]:
    """The result cards as HTML, in order. A guest's are the same for everyone: kept in the
    shared cache per family, so a search that is not cached itself hydrates and renders only
    the families no recent search showed. A family no longer purchasable renders as ""."""
    template = get_template("frontend/partials/family_card.html")

    def render_cards(wanted: list[int]) -> dict[int, str]:
        cards = dict.fromkeys(wanted, "")
        for family in family_cards_for(wanted):  # one card per family; photos come with it
            cards[family.pk] = template.render({"p": family}, request)
        return cards

    if request.user.is_authenticated:  # a signed-in export buyer's cards show USD prices
        cards = render_cards(ids)
    else:
        # A card shows no stock, only what content edits change (and they invalidate): kept
        # longer than pages.
        cards = pagecache.cached_many(
            "family-card", ids, render_cards, ttl=pagecache.seconds() * 10
        )
    return [mark_safe(cards[i]) for i in ids if cards.get(i)]


class _Pager:
    """The slice of Django's Page API the pager template uses."""

    def __init__(self, page):
        self.number, self._last = page.page, max(1, -(-page.total // page.size))
        self.paginator = self

    num_pages = property(lambda self: self._last)
    has_previous = property(lambda self: self.number > 1)
    has_next = property(lambda self: self.number < self._last)
    has_other_pages = property(lambda self: self._last > 1)
    previous_page_number = property(lambda self: self.number - 1)
    next_page_number = property(lambda self: self.number + 1)


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    prefix = request.GET.get("q", "")[:100]
    try:
        suggestions = product_suggest(prefix, limit=8)
    except DomainError:
        suggestions = []  # autocomplete is a nicety: the search form still works
    return render(request, "frontend/partials/suggest.html", {"suggestions": suggestions})
