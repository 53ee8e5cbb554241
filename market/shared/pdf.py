"""The marketplace's PDF paper (fpdf2), for the order documents and the ledger's statements: the
bundled DejaVu fonts (Vietnamese needs a Unicode TTF; CI has no system fonts), a new A4 page, a
paragraph, and VND as printed."""

from pathlib import Path

from babel.numbers import format_currency
from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"


def format_vnd(amount: int) -> str:
    """1234567 -> "1.234.567 ₫" (Vietnamese grouping; VND has no minor unit)."""
    # Babel puts a no-break space before ₫; a plain space keeps the PDF text searchable.
    return format_currency(int(amount), "VND", locale="vi_VN", format_type="standard").replace(
        "\xa0", " "
    )


def new_pdf(*, margin: float, compress: bool = True) -> FPDF:
    """An A4 document with the DejaVu fonts loaded and its first page added."""
    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(margin, margin, margin)
    pdf.add_page()
    return pdf


def paragraph(
    pdf: FPDF, text: str, *, bold: bool = False, size: int = 10, align: str = "J"
) -> None:
    """A paragraph across the page (fpdf2's default alignment, justified, unless `align`)."""
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.multi_cell(0, 5.5, text, align=align, new_x="LMARGIN", new_y="NEXT")
