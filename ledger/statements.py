"""Statements, commission invoices and the payout bank file.

PDFs are in Vietnamese on purpose (paper for the cooperative's accountant in Vietnam), like the
order documents; CSVs carry machine-friendly headers. Fonts, page and paragraph come from
market.shared.pdf, as for the order documents (the ledger imports nothing from orders)."""

import csv
import io

from fpdf import FPDF

from ledger.models import PayoutBatch
from ledger.selectors import CommissionInvoice, Statement
from market.models import Cooperative
from market.shared.pdf import FONT, format_vnd, new_pdf, paragraph

vnd = format_vnd


def _pdf() -> FPDF:
    return new_pdf(margin=12)


_text = paragraph


def _table(pdf: FPDF, header: list[str], rows: list[list[str]], widths: list[int]) -> None:
    pdf.set_font(FONT, "B", 8)
    for text, w in zip(header, widths, strict=True):
        pdf.cell(w, 6, text, border=1)
    pdf.ln()
    pdf.set_font(FONT, "", 8)
    for row in rows:
        for i, (text, w) in enumerate(zip(row, widths, strict=True)):
            pdf.cell(w, 6, text, border=1, align="L" if i < 2 else "R")
        pdf.ln()


def _head(pdf: FPDF, title: str, coop: Cooperative, period: str) -> None:
    _text(pdf, "HTX Market", bold=True, size=12)
    _text(pdf, title, bold=True, size=14)
    _text(pdf, f"Hợp tác xã: {coop.display_name} — MST {coop.tax_code}")
    _text(pdf, f"Kỳ: tháng {period[5:]}/{period[:4]}")
    pdf.ln(2)


def statement_pdf(statement: Statement) -> bytes:
    pdf = _pdf()
    _head(pdf, "Sao kê doanh thu", statement.cooperative, statement.period)
    _text(pdf, f"Số dư đầu kỳ: {vnd(statement.opening_vnd)}", bold=True)
    rows = [
        [
            r.date.strftime("%d/%m/%Y"),
            r.reference + (" (TT trực tiếp)" if r.direct else ""),
            vnd(r.gross_vnd),
            vnd(r.commission_vnd),
            vnd(r.refunds_vnd),
            vnd(r.payout_vnd),
            vnd(r.net_vnd),
        ]
        for r in statement.rows
    ]
    t = statement.totals()
    rows.append(
        [
            "",
            "Cộng",
            *(
                vnd(t[k])
                for k in ("gross_vnd", "commission_vnd", "refunds_vnd", "payout_vnd", "net_vnd")
            ),
        ]
    )
    _table(
        pdf,
        ["Ngày", "Đơn / chứng từ", "Doanh thu", "Hoa hồng", "Hoàn tiền", "Đã chi trả", "Thay đổi"],
        rows,
        [20, 52, 24, 22, 22, 22, 24],
    )
    pdf.ln(2)
    _text(pdf, f"Số dư cuối kỳ: {vnd(statement.closing_vnd)}", bold=True)
    _text(
        pdf,
        "Số dư = số tiền HTX Market còn phải trả hợp tác xã (đã giải ngân, trừ hoa hồng phải thu). "
        "Đơn thanh toán trực tiếp (chuyển khoản cho HTX, COD) chỉ ghi nhận hoa hồng.",
        size=8,
    )
    return bytes(pdf.output())


STATEMENT_CSV_HEADER = [
    "date",
    "reference",
    "paid_directly",
    "gross_vnd",
    "commission_vnd",
    "refunds_vnd",
    "payout_vnd",
    "adjustment_vnd",
    "net_vnd",
]


def statement_csv(statement: Statement) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["opening_balance_vnd", statement.opening_vnd])
    w.writerow(STATEMENT_CSV_HEADER)
    for r in statement.rows:
        w.writerow(
            [
                r.date.isoformat(),
                r.reference,
                int(r.direct),
                r.gross_vnd,
                r.commission_vnd,
                r.refunds_vnd,
                r.payout_vnd,
                r.adjustment_vnd,
                r.net_vnd,
            ]
        )
    w.writerow(["closing_balance_vnd", statement.closing_vnd])
    return out.getvalue()


def commission_invoice_pdf(invoice: CommissionInvoice) -> bytes:
    pdf = _pdf()
    _head(pdf, "Hóa đơn phí hoa hồng", invoice.cooperative, invoice.period)
    _text(
        pdf,
        "Phí hoa hồng nền tảng trên các đơn hợp tác xã nhận tiền trực tiếp "
        "(chuyển khoản, thu hộ COD).",
    )
    rows = [[d.strftime("%d/%m/%Y"), ref, vnd(amount)] for d, ref, amount in invoice.lines]
    rows.append(["", "Tổng cộng", vnd(invoice.total_vnd)])
    _table(pdf, ["Ngày", "Đơn hàng", "Hoa hồng"], rows, [30, 80, 40])
    pdf.ln(2)
    _text(pdf, f"Số tiền phải thanh toán: {vnd(invoice.total_vnd)}", bold=True)
    _text(
        pdf,
        "Khoản này được cấn trừ vào kỳ chi trả tiếp theo, hoặc chuyển khoản cho HTX Market "
        f"với nội dung: HTX {invoice.cooperative.pk} HOA HONG {invoice.period}",
        size=8,
    )
    return bytes(pdf.output())


PAYOUT_CSV_HEADER = [
    "beneficiary_name",
    "account_number",
    "bank_bin",
    "amount_vnd",
    "transfer_note",
    "line_id",
]


def payout_batch_csv(batch: PayoutBatch) -> str:
    """The bulk-transfer file for the bank: one row per line still to pay."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(PAYOUT_CSV_HEADER)
    for line in batch.lines.filter(status="PENDING").order_by("pk"):
        w.writerow(
            [
                line.beneficiary_name,
                line.bank_account,
                line.bank_bin,
                line.amount_vnd,
                line.transfer_note,
                line.pk,
            ]
        )
    return out.getvalue()
