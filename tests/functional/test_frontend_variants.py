"""Product families in the browser, on a 360 px phone: a buyer picks a variant with the chips
(htmx swaps the panel and pushes the URL; without JavaScript the same form redirects) and adds
it to the cart; search shows one card per family ("từ … ₫ · N lựa chọn"); the cooperative edits
prices and stock of several variants at once and adds a variant, on the product's page."""

from decimal import Decimal

import pytest

from catalog.models import Product
from market.models import Membership
from orders.models import CartLine
from tests.factories.catalog import CategoryFactory, family_with_variants
from tests.factories.market import CooperativeFactory, MembershipFactory, UserFactory
from tests.factories.search import index_everything
from tests.functional.conftest import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "mat-khau-123"  # UserFactory's
PHONE = {"width": 360, "height": 740}
OPTIONS = (
    {"pack": "túi 250 g", "crop_year": "2025"},
    {"pack": "túi 250 g", "crop_year": "2026"},
    {"pack": "bao 5 kg", "crop_year": "2025"},
    {"pack": "bao 5 kg", "crop_year": "2026"},
)


def _family():
    coop = CooperativeFactory(verified=True, trading_name="HTX Cà phê Ea Tul")
    family, variants = family_with_variants(
        *OPTIONS,
        cooperative=coop,
        category=CategoryFactory(slug="ca-phe", name_vi="Cà phê", name_en="Coffee"),
        name_vi="Cà phê Robusta rang mộc",
        price_vnd=49_000,
    )
    from search.backends import get_backend

    index_everything(get_backend())
    return coop, family, variants


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_buyer_picks_a_variant_with_the_chips_and_adds_it_to_the_cart(units, open_session):
    coop, family, (a, b, c, d) = _family()
    s = open_session("variants-picker")
    s.page.set_viewport_size(PHONE)

    s.go(f"/san-pham/{a.pk}/{a.slug}/")
    s.page.click("label.chip:has-text('bao 5 kg')")  # htmx: the panel follows, no reload
    s.page.wait_for_url(f"**/san-pham/{c.pk}/**")
    s.page.locator("#variant-panel .variant-label", has_text="bao 5 kg · 2025").wait_for()
    price = s.page.locator("#variant-panel p.price").first.inner_text()
    fits = _fits(s.page)
    s.page.screenshot(path=str(SHOTS / "variants-picker-360.png"), full_page=True)
    s.page.fill("#id_quantity", "2")
    s.page.click('#variant-panel form[action$="/gio-hang/them/"] button[type=submit]')
    s.page.wait_for_url("**/gio-hang/")

    assert "69.000" in price  # c is the third variant: 49.000 + 2 × 10.000
    assert fits
    line = CartLine.objects.get()
    assert (line.product_id, line.quantity) == (c.pk, Decimal("2"))
    assert s.page.locator("main", has_text="bao 5 kg · 2025").count() == 1


def test_without_javascript_the_picker_is_a_form_that_redirects(units, open_session):
    coop, family, (a, b, c, d) = _family()
    s = open_session("variants-nojs", javascript=False)
    s.page.set_viewport_size(PHONE)

    s.go(f"/san-pham/{a.pk}/{a.slug}/")
    s.page.check("input[name=crop_year][value='2026']")
    s.page.click(".variant-picker button[type=submit]")
    s.page.wait_for_url(f"**/san-pham/{b.pk}/**")

    assert (
        s.page.locator("#variant-panel .variant-label").inner_text().startswith("túi 250 g · 2026")
    )
    assert _fits(s.page)


def test_search_shows_one_card_per_family_with_its_price_range(units, open_session):
    _family()
    s = open_session("variants-search")
    s.page.set_viewport_size(PHONE)

    s.go("/tim-kiem/?q=ca+phe+robusta")
    cards = s.page.locator("li.family-card")
    cards.first.wait_for()
    text = cards.first.inner_text()
    fits = _fits(s.page)
    s.page.screenshot(path=str(SHOTS / "variants-search-360.png"), full_page=True)

    assert cards.count() == 1
    assert "từ 49.000" in text and "4 lựa chọn" in text
    assert fits


def test_the_cooperative_edits_prices_and_stock_of_its_variants_and_adds_one(units, open_session):
    coop, family, (a, b, c, d) = _family()
    staff = MembershipFactory(cooperative=coop, role=Membership.Role.OWNER).user
    s = open_session("variants-coop")
    s.page.set_viewport_size(PHONE)
    s.login(staff.email, PASSWORD)
    s.page.set_viewport_size(PHONE)

    s.go(f"/htx/{coop.pk}/san-pham/{a.pk}/")
    s.page.fill(f"input[name=price_{b.pk}]", "52000")
    s.page.fill(f"input[name=stock_{c.pk}]", "7")
    s.page.click("#variants-bulk button[type=submit]")
    s.page.wait_for_load_state()
    s.page.fill("#variant-add input[name=sku]", "ROB-1KG-2026")
    s.page.fill("#variant-add input[name=pack]", "hộp 1 kg")
    s.page.fill("#variant-add input[name=crop_year]", "2026")
    s.page.click("#variant-add button[type=submit]")
    s.page.wait_for_load_state()
    fits = _fits(s.page)
    s.page.screenshot(path=str(SHOTS / "variants-coop-360.png"), full_page=True)
    s.page.fill("#variant-add input[name=sku]", "ROB-DUP")
    s.page.fill("#variant-add input[name=pack]", "túi 250 g")
    s.page.fill("#variant-add input[name=crop_year]", "2025")
    s.page.click("#variant-add button[type=submit]")
    s.page.wait_for_load_state()
    refused = s.page.locator(".messages, [role=alert]").first.inner_text()

    b.refresh_from_db(), c.refresh_from_db()
    assert (b.price_vnd, c.stock_qty) == (52_000, Decimal("7"))
    added = Product.objects.get(sku="ROB-1KG-2026")
    assert (added.family_id, added.options) == (
        family.pk,
        {"pack": "hộp 1 kg", "crop_year": "2026"},
    )
    assert "túi 250 g · 2025" in refused.lower() or "túi 250 g" in refused
    assert not Product.objects.filter(sku="ROB-DUP").exists()
    assert s.page.locator("#variants-bulk tbody tr").count() == 5
    assert fits
    assert UserFactory._meta.model.objects.filter(pk=staff.pk).exists()
