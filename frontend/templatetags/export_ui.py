"""Template tags for export buyers: catalog prices in USD, marked as indicative."""

from decimal import Decimal

from django import template
from django.template import Context
from django.utils.translation import gettext as _

from market.models import User

register = template.Library()


def _export_rate(context):
    """The rate in force when the signed-in buyer is abroad (cached on the request), else None."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not isinstance(user, User) or not user.is_authenticated:
        return None
    if not hasattr(request, "_htx_export_rate"):
        from frontend.reads import buyer_country
        from orders.services.export import rate_in_force

        abroad = buyer_country(user=user) != "VN"
        request._htx_export_rate = rate_in_force(currency="USD") if abroad else None
    return request._htx_export_rate


@register.simple_tag(takes_context=True)
def indicative_usd(context: Context, price_vnd: int | None) -> str:
    """ "≈ US$4.72 (indicative, 1 USD = 25,400 VND on 2026-12-01)" for export buyers; "" else."""
    rate = _export_rate(context)
    if rate is None or not price_vnd:
        return ""
    usd = (Decimal(price_vnd) / rate.rate_vnd).quantize(Decimal("0.01"))
    return _("≈ US$%(usd)s (indicative, 1 USD = %(rate)s VND on %(date)s)") % {
        "usd": f"{usd:,.2f}",
        "rate": f"{rate.rate_vnd:,.0f}",
        "date": rate.date.isoformat(),
    }
