"""Charts drawn on the server as SVG: no JavaScript, readable on a 360 px phone (the viewBox
scales to the width; labels are few and large)."""

from datetime import date
from xml.sax.saxutils import escape


def _short_vnd(amount: int) -> str:
    """12_500_000 → '12,5tr'; 850_000 → '850k' (Vietnamese shorthand, decimal comma)."""
    if amount >= 1_000_000:
        text = f"{amount / 1_000_000:.1f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") + "tr"
    if amount >= 1_000:
        return f"{amount // 1_000}k"
    return str(amount)


def weekly_bars_svg(points: list[tuple[date, int]], *, title: str) -> str:
    """A bar per week; every other week labelled (dd/mm), the highest bar valued."""
    width, height, top, bottom, left = 320, 180, 22, 26, 4
    n = max(len(points), 1)
    slot = (width - left * 2) / n
    peak = max((v for _d, v in points), default=0) or 1
    plot = height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - left}" y2="{height - bottom}" '
        'stroke="#999" stroke-width="1"/>',
    ]
    for i, (monday, value) in enumerate(points):
        h = round(plot * value / peak, 1)
        x = round(left + i * slot + slot * 0.15, 1)
        y = round(height - bottom - h, 1)
        label = f"{monday:%d/%m}: {value:,} ₫".replace(",", ".")
        parts.append(
            f'<rect x="{x}" y="{y}" width="{round(slot * 0.7, 1)}" height="{h}" fill="#2e7d32">'
            f"<title>{escape(label)}</title></rect>"
        )
        if i % 2 == (n - 1) % 2:  # the last week is always labelled
            cx = round(x + slot * 0.35, 1)
            parts.append(
                f'<text x="{cx}" y="{height - 8}" font-size="11" text-anchor="middle" '
                f'fill="#333">{monday:%d/%m}</text>'
            )
        if value == peak and value > 0:
            cx = round(x + slot * 0.35, 1)
            parts.append(
                f'<text x="{cx}" y="{max(y - 5, 12)}" font-size="12" text-anchor="middle" '
                f'font-weight="bold" fill="#1b5e20">{_short_vnd(value)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
