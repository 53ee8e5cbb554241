"""Per-order PDF documents for the cooperative's order desk: packing slip and invoice.

Both are in Vietnamese on purpose (issue 6, item 8): they are paper for the cooperative, the
carrier and the buyer's bookkeeping in Vietnam, so the labels are not run through gettext.
The fonts and the paragraph are market.shared.pdf's."""

from decimal import Decimal

from django.utils import timezone
from fpdf import FPDF

from market.shared.pdf import FONT, format_vnd, new_pdf, paragraph
from orders.models import Order, PaymentMethod


def format_qty(value: Decimal) -> str:
    """10.000 -> "10", 2.500 -> "2,5" (Vietnamese decimal comma)."""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _date(order: Order) -> str:
    return timezone.localtime(order.placed_at).strftime("%d/%m/%Y")


def _new_pdf(compress: bool) -> FPDF:
    return new_pdf(margin=15, compress=compress)


_para = paragraph


def _place(*names) -> str:
    return ", ".join(n for n in names if n)


def _seller(pdf: FPDF, order: Order) -> None:
    coop = order.cooperative
    _para(pdf, coop.legal_name, bold=True, size=11)
    _para(pdf, f"MST: {coop.tax_code}")
    _para(
        pdf,
        "Địa chỉ: " + _place(coop.address, coop.ward.name if coop.ward else "", coop.province.name),
    )
    if coop.phone:
        _para(pdf, f"Điện thoại: {coop.phone}")


def _ship_to(pdf: FPDF, order: Order) -> None:
    c = order.checkout
    _para(pdf, "Giao đến", bold=True)
    _para(pdf, f"{c.recipient_name} · {c.recipient_phone}")
    _para(
        pdf,
        _place(
            c.address_line,
            c.ward.name if c.ward else "",
            c.province.name if c.province else "",
            c.city,
            c.postal_code,
            c.country if c.country != "VN" else "",
        ),
    )


def _buyer(pdf: FPDF, order: Order) -> None:
    user = order.buyer
    _para(pdf, "Người mua", bold=True)
    _para(pdf, f"{user.full_name or order.checkout.recipient_name} · {user.email}")
    profile = getattr(user, "buyer_profile", None)
    if profile is not None and profile.company_name:
        _para(pdf, f"Đơn vị: {profile.company_name}")
    if profile is not None and profile.tax_code:
        _para(pdf, f"Mã số thuế: {profile.tax_code}")


def _header(pdf: FPDF, title: str, order: Order) -> None:
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
    _para(pdf, f"Mã đơn hàng: {order.code} · Ngày: {_date(order)}")
    pdf.ln(2)


def _table(pdf: FPDF, headings: tuple, rows: list[tuple], widths: tuple) -> None:
    pdf.ln(3)
    with pdf.table(
        col_widths=widths, text_align=("LEFT",) + ("RIGHT",) * (len(widths) - 1), line_height=6
    ) as table:
        pdf.set_font(FONT, "B", 9)
        table.row(headings)
        pdf.set_font(FONT, "", 9)
        for row in rows:
            table.row(row)


def _lines(order: Order) -> list:
    return sorted(order.lines.all(), key=lambda ln: ln.pk)


def packing_slip_pdf(order: Order, *, compress: bool = True) -> bytes:
    """The packing slip: sender, recipient and the lines to pack (refused lines listed as not packed)."""
    pdf = _new_pdf(compress)
    _header(pdf, "PHIẾU ĐÓNG GÓI", order)
    _seller(pdf, order)
    pdf.ln(2)
    _ship_to(pdf, order)
    rows = [
        (
            f"{ln.product_name} ({ln.sku})" + (" — TỪ CHỐI, không đóng gói" if ln.refused else ""),
            "0" if ln.refused else format_qty(ln.quantity),
            ln.unit,
        )
        for ln in _lines(order)
    ]
    _table(pdf, ("Sản phẩm", "Số lượng", "Đơn vị"), rows, (120, 30, 30))
    if (
        order.payment_method == PaymentMethod.COD
        and order.payment_status == Order.PaymentStatus.UNPAID
    ):
        pdf.ln(2)  # the carrier collects this amount from the recipient
        _para(pdf, f"THU HỘ (COD): {format_vnd(order.total_vnd)}", bold=True, size=12)
    if order.note:
        pdf.ln(2)
        _para(pdf, f"Ghi chú của người mua: {order.note}")
    return bytes(pdf.output())


def invoice_pdf(order: Order, *, compress: bool = True) -> bytes:
    """The invoice (sales receipt, not a VAT e-invoice): seller with MST, buyer (company and tax
    code when given), lines with prices, shipping fee and total in VND; refused lines shown at 0."""
    pdf = _new_pdf(compress)
    _header(pdf, "HÓA ĐƠN", order)
    _seller(pdf, order)
    pdf.ln(2)
    _buyer(pdf, order)
    pdf.ln(2)
    _ship_to(pdf, order)
    rows = [
        (
            ln.product_name + (" — TỪ CHỐI" if ln.refused else ""),
            format_qty(ln.quantity),
            ln.unit,
            format_vnd(ln.unit_price_vnd),
            format_vnd(0 if ln.refused else ln.line_total_vnd),
        )
        for ln in _lines(order)
    ]
    rows.append(("Phí vận chuyển", "", "", "", format_vnd(order.shipping_fee_vnd)))
    rows.append(("Tổng cộng", "", "", "", format_vnd(order.total_vnd)))
    headings = ("Sản phẩm", "Số lượng", "Đơn vị", "Đơn giá", "Thành tiền")
    _table(pdf, headings, rows, (70, 22, 18, 35, 35))
    pdf.ln(2)
    _para(
        pdf,
        f"Thanh toán: {order.get_payment_method_display()} · {order.get_payment_status_display()}",
    )
    return bytes(pdf.output())
