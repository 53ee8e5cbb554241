"""English PDFs of an export order: proforma invoice (at acceptance), commercial invoice and
packing list (at shipment). Same machinery as the Vietnamese documents (fpdf2, DejaVu Sans in
orders/fonts/, so Vietnamese names of cooperatives and places print correctly).

The labels are English on purpose and not run through gettext: these are trade documents for a
foreign buyer, its bank and its customs broker."""

from decimal import Decimal

from django.utils import timezone, translation
from fpdf import FPDF

from market.shared.pdf import FONT, paragraph
from orders.models import ExportTerms, Order
from orders.printouts import _new_pdf, _table

# SWIFT/BIC of Vietnamese banks by NAPAS BIN, for the wire instructions on the proforma.
BANKS = {
    "970436": (
        "Joint Stock Commercial Bank for Foreign Trade of Vietnam (Vietcombank)",
        "BFTVVNVX",
    ),
    "970405": ("Vietnam Bank for Agriculture and Rural Development (Agribank)", "VBAAVNVX"),
    "970418": ("Bank for Investment and Development of Vietnam (BIDV)", "BIDVVNVX"),
    "970415": (
        "Vietnam Joint Stock Commercial Bank for Industry and Trade (VietinBank)",
        "ICBVVNVX",
    ),
    "970407": ("Vietnam Technological and Commercial Joint Stock Bank (Techcombank)", "VTCBVNVX"),
    "970416": ("Asia Commercial Joint Stock Bank (ACB)", "ASCBVNVX"),
    "970422": ("Military Commercial Joint Stock Bank (MB)", "MSCBVNVX"),
    "970432": ("Vietnam Prosperity Joint Stock Commercial Bank (VPBank)", "VPBKVNVX"),
    "970423": ("Tien Phong Commercial Joint Stock Bank (TPBank)", "TPBVVNVX"),
    "970403": ("Saigon Thuong Tin Commercial Joint Stock Bank (Sacombank)", "SGTTVNVX"),
}


def _para(pdf: FPDF, text: str, *, bold: bool = False, size: int = 10) -> None:
    # Left-aligned: a justified line is written word by word, which text extraction (and a
    # customs officer's copy-paste) reads badly.
    paragraph(pdf, text, bold=bold, size=size, align="L")


def wire_details(order: Order) -> dict:
    """Beneficiary, bank, SWIFT and account for an international wire to the cooperative (the
    exporter receives its export proceeds in its own account)."""
    coop = order.cooperative
    bank, swift = BANKS.get(coop.bank_bin, (f"Bank BIN {coop.bank_bin}", "ask the seller"))
    return {
        "beneficiary": coop.bank_account_name or coop.legal_name,
        "bank_name": bank,
        "swift": swift,
        "account": coop.bank_account,
    }


def money(amount: Decimal, currency: str) -> str:
    if currency == "VND":
        return f"{int(amount):,} VND"
    return f"{Decimal(amount):,.2f} {currency}"


def qty(value: Decimal) -> str:
    text = format(Decimal(value).normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _title(pdf: FPDF, title: str, order: Order, extra: str = "") -> None:
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
    day = timezone.localtime(timezone.now()).strftime("%d %b %Y")
    _para(pdf, f"No. {order.code} · Date: {day}" + (f" · {extra}" if extra else ""))
    pdf.ln(2)


def _parties(pdf: FPDF, order: Order) -> None:
    coop, buyer = order.cooperative, order.buyer
    _para(pdf, "Seller (exporter)", bold=True)
    _para(pdf, f"{coop.legal_name} · Tax code {coop.tax_code}")
    _para(
        pdf,
        ", ".join(
            x
            for x in (
                coop.address,
                coop.ward.name if coop.ward else "",
                coop.province.name,
                "Vietnam",
            )
            if x
        ),
    )
    pdf.ln(1)
    profile = getattr(buyer, "buyer_profile", None)
    _para(pdf, "Buyer (importer)", bold=True)
    _para(
        pdf,
        (profile.company_name if profile and profile.company_name else buyer.full_name)
        + f" · {buyer.email}",
    )
    if profile is not None and profile.tax_code:
        _para(pdf, f"Tax / company no. {profile.tax_code}")
    _para(pdf, f"Country: {order.export.destination_country}")
    pdf.ln(1)


def _goods_rows(order: Order) -> list[tuple]:
    """One row per line. A quote's order has one line at the quoted price; the lines of a cart
    order are priced in VND and shown in the order's currency at its rate."""
    t = order.export
    lines = [ln for ln in order.lines.all() if not ln.refused]
    rows = []
    for ln in lines:
        if len(lines) == 1 and order.shipping_fee_vnd == 0:
            unit, amount = t.unit_price, t.total
        else:
            unit = _in_currency(ln.unit_price_vnd, t)
            amount = _in_currency(ln.line_total_vnd, t)
        rows.append(
            (
                ln.product_name,
                ln.product.hs_code or "-",
                f"{qty(ln.quantity)} {ln.unit}",
                money(unit, t.currency),
                money(amount, t.currency),
            )
        )
    if order.shipping_fee_vnd:
        rows.append(
            (
                "Freight to the named place",
                "",
                "",
                "",
                money(_in_currency(order.shipping_fee_vnd, t), t.currency),
            )
        )
    return rows


def _in_currency(amount_vnd: int, terms) -> Decimal:
    if terms.currency == "VND":
        return Decimal(amount_vnd)
    return (Decimal(amount_vnd) / terms.usd_vnd_rate).quantize(Decimal("0.01"))


def _terms(pdf: FPDF, order: Order) -> None:
    t = order.export
    _para(pdf, f"Incoterm: {t.incoterm} {t.named_place} (Incoterms 2020)")
    _para(pdf, f"Packaging: {t.packaging or '-'} · Lead time: {t.lead_time_days} days")
    if t.currency == "USD":
        _para(
            pdf,
            f"Exchange rate: 1 USD = {t.usd_vnd_rate:,.2f} VND ({t.rate_date}, {t.rate_source})",
        )


@translation.override("en")  # trade documents are in English whatever the page language
def proforma_pdf(order: Order, *, compress: bool = True) -> bytes:
    """Proforma invoice: both parties, the lines with HS codes, the Incoterm, the payment
    schedule and the bank details for an international wire."""
    t = order.export
    pdf = _new_pdf(compress)
    _title(pdf, "PROFORMA INVOICE", order, f"Quote {t.quote_ref}")
    _parties(pdf, order)
    _goods_and_terms(pdf, order)
    pdf.ln(2)
    _para(pdf, "Payment schedule", bold=True)
    for inst in order.installments.order_by("sequence"):
        _para(
            pdf,
            f"{inst.sequence}. {inst.get_kind_display()} {qty(inst.percent)}%: {money(inst.amount, inst.currency)}, due {inst.get_due_display()}"
            + (f" (by {inst.due_date})" if inst.due_date else "")
            + f" · reference {inst.wire_reference}",
        )
    pdf.ln(2)
    w = wire_details(order)
    _para(pdf, "Bank details for international wire (SWIFT)", bold=True)
    _para(pdf, f"Beneficiary: {w['beneficiary']}")
    _para(pdf, f"Bank name: {w['bank_name']}")
    _para(pdf, f"SWIFT: {w['swift']}")
    _para(pdf, f"Account: {w['account']}")
    _para(
        pdf,
        "Quote the installment reference on the wire. Bank charges outside Vietnam are for the buyer's account.",
    )
    return bytes(pdf.output())


def _shipment(pdf: FPDF, order: Order) -> None:
    t = order.export
    _para(pdf, f"Port of loading: {t.port_of_loading} · Port of discharge: {t.port_of_discharge}")
    _para(
        pdf, f"Vessel: {t.vessel or '-'} · Container: {t.container_number} · Seal: {t.seal_number}"
    )
    _para(pdf, f"Shipped on: {t.shipped_on or '-'} · Marks: {t.marks}")


def _goods_and_terms(pdf: FPDF, order: Order) -> None:
    """The goods (HS codes, quantities, prices) with the total, then the trade terms: the same
    block on the proforma and the commercial invoice."""
    t = order.export
    _table(
        pdf,
        ("Description", "HS code", "Quantity", "Unit price", "Amount"),
        _goods_rows(order) + [("Total", "", "", "", money(t.total, t.currency))],
        (62, 24, 28, 33, 33),
    )
    pdf.ln(2)
    _terms(pdf, order)


def _weights(t: ExportTerms) -> tuple[Decimal, Decimal]:
    """Net and gross weight: the invoice and packing list are offered once the shipment is
    recorded (`shipment_complete`), which requires both."""
    assert t.net_weight_kg is not None and t.gross_weight_kg is not None
    return t.net_weight_kg, t.gross_weight_kg


@translation.override("en")  # trade documents are in English whatever the page language
def commercial_invoice_pdf(order: Order, *, compress: bool = True) -> bytes:
    t = order.export
    pdf = _new_pdf(compress)
    _title(pdf, "COMMERCIAL INVOICE", order)
    _parties(pdf, order)
    _goods_and_terms(pdf, order)
    _shipment(pdf, order)
    net, gross = _weights(t)
    _para(
        pdf,
        f"Packages: {t.package_count} {t.package_kind} · Net weight: {qty(net)} kg · Gross weight: {qty(gross)} kg",
    )
    _para(pdf, "Country of origin: Vietnam")
    return bytes(pdf.output())


@translation.override("en")  # trade documents are in English whatever the page language
def packing_list_pdf(order: Order, *, compress: bool = True) -> bytes:
    t = order.export
    net, gross = _weights(t)
    pdf = _new_pdf(compress)
    _title(pdf, "PACKING LIST", order)
    _parties(pdf, order)
    rows = [
        (
            ln.product_name,
            ln.product.hs_code or "-",
            f"{t.package_count} {t.package_kind}",
            f"{qty(net)} kg",
            f"{qty(gross)} kg",
        )
        for ln in order.lines.all()
    ]
    _table(
        pdf,
        ("Description", "HS code", "Packages", "Net weight", "Gross weight"),
        rows,
        (60, 24, 40, 28, 28),
    )
    pdf.ln(2)
    _shipment(pdf, order)
    _para(pdf, f"Incoterm: {t.incoterm} {t.named_place}")
    return bytes(pdf.output())
