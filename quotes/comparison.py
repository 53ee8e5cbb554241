"""The buyer's side-by-side view: every quote in one currency, per base unit and in total.

All quotes are converted at one rate (the rate in force today) so they compare fairly; each
quote keeps the rate stored when it was submitted, which is the rate its order will use."""

from decimal import Decimal
from typing import Any

from catalog.units import to_base
from orders.money import money_round
from orders.services.export import rate_in_force
from quotes.models import Quote, Rfq


def _convert(amount: Decimal, currency: str, target: str, rate: Decimal) -> Decimal:
    if currency == target:
        return amount
    return amount * rate if target == "VND" else amount / rate


def _plain(value: Decimal) -> str:
    """20.000 -> "20", 2.500 -> "2.5" (never "2E+1")."""
    return format(value.normalize(), "f")


def quote_comparison(*, rfq: Rfq, quotes: list[Quote], currency: str) -> dict[str, Any]:
    rate = rate_in_force(currency="USD")
    one_base, base_unit = to_base(Decimal("1"), rfq.unit)
    rows: list[dict[str, Any]] = []
    for q in quotes:
        quantity = min(rfq.quantity, q.quantity)
        unit_price = _convert(q.unit_price, q.currency, currency, rate.rate_vnd)
        rows.append(
            {
                "quote_id": q.pk,
                "cooperative": q.cooperative.display_name,
                "cooperative_id": q.cooperative_id,
                "status": q.status,
                "revision": q.revision,
                "incoterm": q.incoterm,
                "named_place": q.named_place,
                "quoted": f"{q.unit_price} {q.currency}/{q.unit}",
                "unit_price": money_round(unit_price, currency),
                "price_per_base_unit": money_round(unit_price / one_base, currency),
                "quantity": quantity,
                "total": money_round(unit_price * quantity, currency),
                "moq": q.moq,
                "lead_time_days": q.lead_time_days,
                "valid_until": q.valid_until,
                "expired": q.is_expired,
                "deposit_percent": q.deposit_percent,
                "balance_due": q.balance_due,
            }
        )
    rows.sort(key=lambda r: r["price_per_base_unit"])
    for row in rows:  # exact decimals as strings (JSON numbers would go through float)
        row["quantity"], row["moq"] = _plain(row["quantity"]), _plain(row["moq"])
        row.update({k: str(v) for k, v in row.items() if isinstance(v, Decimal)})
    return {
        "currency": currency,
        "base_unit": base_unit,
        "rate": {"usd_vnd": str(rate.rate_vnd), "date": rate.date, "source": rate.source},
        "quotes": rows,
    }
