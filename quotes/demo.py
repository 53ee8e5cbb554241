"""Demo export trade for `manage.py seed_demo` (runs after orders/demo.py): export buyers, open
RFQs (one answered by competing quotes, one revised), an accepted quote with its deposit paid,
and a shipped export order with its shipment data and bill of lading.

Everything goes through the real services; each RFQ is found again by its buyer and title, so a
re-run adds nothing. Rates: a few demo rows of the USD/VND table when it is empty."""

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from catalog.models import Category, Product
from market.cooperatives.demo import _user
from market.models import BuyerProfile, Cooperative, Membership, User
from orders.models import ExchangeRate, Order
from orders.services.export import (
    export_shipment_record,
    export_transport_document_upload,
    installment_wire_confirm,
    rates_load,
)
from orders.services.transitions import order_transition
from quotes.models import Rfq
from quotes.services import quote_accept, quote_submit, rfq_create

BUYERS = [
    ("importer@example.de", "Anna Schmidt", "Hamburg Spice Import GmbH", "DE"),
    ("buying@sakura-foods.example.jp", "Kenji Sato", "Sakura Foods K.K.", "JP"),
    ("grains@rotterdam-trade.example.nl", "Pieter de Vries", "Rotterdam Grain Trading B.V.", "NL"),
]


def _buyer(email, name, company, country):
    user = _user(email, name, language="en")
    BuyerProfile.objects.update_or_create(
        user=user, defaults={"kind": "COMPANY", "company_name": company, "country": country}
    )
    return user


def _rates() -> None:
    if ExchangeRate.objects.exists():
        return
    today = timezone.localdate()
    rows = [
        {
            "date": (today - datetime.timedelta(days=d)).isoformat(),
            "currency": "USD",
            "rate_vnd": str(25_400 + d * 5),
            "source": "Vietcombank transfer rate (demo)",
        }
        for d in (0, 1, 2, 7)
    ]
    rates_load(rows=rows)


def _sellers(category_slug: str, n: int) -> list[tuple[Cooperative, Product, User]]:
    """The first `n` verified cooperatives selling in the category: (coop, product, owner)."""
    cat = Category.objects.filter(slug=category_slug).first()
    if cat is None:
        return []
    out: list[tuple[Cooperative, Product, User]] = []
    seen: set[int] = set()
    products = Product.objects.filter(
        category_id__in=Category.subtree_ids([cat.pk]),
        status=Product.Status.ACTIVE,
        cooperative__status=Cooperative.Status.VERIFIED,
    ).order_by("cooperative_id", "pk")
    bulk = products.filter(unit__in=["KG", "TAN", "TA", "BAO"])
    for p in (bulk if bulk.exists() else products).select_related("cooperative"):
        if p.cooperative_id in seen:
            continue
        owner = Membership.objects.filter(cooperative=p.cooperative).select_related("user").first()
        if owner is None:
            continue
        seen.add(p.cooperative_id)
        out.append((p.cooperative, p, owner.user))
        if len(out) == n:
            break
    return out


def _rfq(buyer, title, category_slug, **extra) -> tuple[Rfq, bool]:
    existing = Rfq.objects.filter(buyer=buyer, title=title).first()
    if existing is not None:
        return existing, False
    today = timezone.localdate()
    data = {
        "title": title,
        "category_id": Category.objects.get(slug=category_slug).pk,
        "unit": "TAN",
        "incoterm": "FOB",
        "named_place": "Cái Mép",
        "delivery_from": today + datetime.timedelta(days=30),
        "delivery_to": today + datetime.timedelta(days=75),
        "closes_at": timezone.now() + datetime.timedelta(days=14),
        "packaging": "25 kg PP woven bags",
        **extra,
    }
    return rfq_create(buyer=buyer, data=data), True


def _quote(rfq, seller, price, *, deposit="30", currency="USD", **extra):
    coop, product, owner = seller
    data = {
        "product_id": product.pk,
        "unit_price": Decimal(price),
        "currency": currency,
        "incoterm": rfq.incoterm,
        "named_place": rfq.named_place,
        "quantity": rfq.quantity,
        "moq": Decimal("5"),
        "lead_time_days": 30,
        "valid_until": timezone.localdate() + datetime.timedelta(days=30),
        "deposit_percent": Decimal(deposit),
        "balance_due": "AGAINST_BL_COPY",
        "packaging": "25 kg PP woven bags, 20 t per 20' container",
        **extra,
    }
    return quote_submit(actor=owner, rfq_id=rfq.pk, data=data, cooperative_id=coop.pk)


def _bill_of_lading(order: Order) -> ContentFile:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, f"BILL OF LADING (copy) for {order.code}")
    return ContentFile(bytes(pdf.output()), name=f"BL-{order.code}.pdf")


def _deposit(order: Order, owner) -> None:
    deposit = order.installments.order_by("sequence").first()
    if deposit is not None and not deposit.is_paid:
        installment_wire_confirm(
            actor=owner,
            installment_id=deposit.pk,
            amount=deposit.amount_due,
            bank_reference=f"DEMO-SWIFT-{order.code}-1",
        )


def _ship(order: Order, owner) -> None:
    order_transition(actor=owner, order_id=order.pk, to=Order.Status.PACKED)
    export_shipment_record(
        actor=owner,
        order_id=order.pk,
        data={
            "port_of_loading": "Cai Mep, Vietnam",
            "port_of_discharge": "Hamburg, Germany",
            "vessel": "MSC Demo V.026E",
            "container_number": "MSCU1234565",
            "seal_number": "VN2026001",
            "package_count": 200,
            "package_kind": "PP bags of 25 kg",
            "net_weight_kg": "5000",
            "gross_weight_kg": "5060",
            "marks": "HTX / HAMBURG / 1-200",
        },
    )
    export_transport_document_upload(
        actor=owner, order_id=order.pk, kind="BL", file=_bill_of_lading(order)
    )


def seed(log: Callable[[str], object]) -> str:
    with transaction.atomic():
        _rates()
        buyers = [_buyer(*row) for row in BUYERS]
    rice = _sellers("gao-thom", 3)
    coffee = _sellers("ca-phe", 2)
    if len(rice) < 2:
        log("no rice cooperatives: RFQs skipped")
        return "0 RFQs"
    made = 0
    # 1. Open RFQ answered by competing quotes, one of them revised.
    rfq, new = _rfq(
        buyers[0],
        "ST25 fragrant rice, 20 t FOB Cái Mép",
        "gao-thom",
        quantity=Decimal("20"),
        target_price=Decimal("820"),
        target_currency="USD",
        certifications=[],
        specification="ST25, moisture max 14%, broken max 5%, crop 2026.",
    )
    if new:
        made += 1
        _quote(rfq, rice[0], "845")
        _quote(rfq, rice[1], "830", deposit="20")
        _quote(rfq, rice[0], "815", note="Revised: price for a 20 t lot.")
        if len(rice) > 2:
            _quote(rfq, rice[2], "21500000", currency="VND", deposit="50")
    # 2. Open RFQ with no quote yet.
    if coffee:
        _rfq_open, new = _rfq(
            buyers[1],
            "Robusta green coffee beans, grade 1, 19.2 t CIF Yokohama",
            "ca-phe",
            quantity=Decimal("19.2"),
            incoterm="CIF",
            named_place="Yokohama",
            sample_wanted=True,
        )
        made += new
    # 3. Accepted quote, deposit paid: the order is in production.
    rfq, new = _rfq(buyers[2], "Jasmine rice 10 t FOB Cái Mép", "gao-thom", quantity=Decimal("10"))
    if new:
        made += 1
        _quote(rfq, rice[1], "640")
        winner = _quote(rfq, rice[0], "655")
        order = quote_accept(actor=buyers[2], quote_id=winner.pk).order
        assert order is not None  # an accepted quote has its order
        _deposit(order, rice[0][2])
    # 4. Shipped export order with its documents (balance due against the B/L copy).
    rfq, new = _rfq(
        buyers[0], "ST25 rice 5 t FOB Cái Mép (trial lot)", "gao-thom", quantity=Decimal("5")
    )
    if new:
        made += 1
        winner = _quote(rfq, rice[1], "860")
        order = quote_accept(actor=buyers[0], quote_id=winner.pk).order
        assert order is not None  # an accepted quote has its order
        _deposit(order, rice[1][2])
        _ship(order, rice[1][2])
    total = Rfq.objects.count()
    log(f"{made} new RFQs; logins: {', '.join(b[0] for b in BUYERS)} (password of the demo users)")
    return f"{total} RFQs ({made} new), {len(BUYERS)} export buyers"
