from django.utils.translation import gettext_lazy as _

from market.errors import DomainError


class InsufficientStock(DomainError):
    code = "insufficient_stock"
    status = 409
    default_message = _("Not enough stock.")

    def __init__(self, *, product, requested):
        super().__init__(
            _("Only %(available)s %(unit)s of “%(name)s” left.")
            % {"available": f"{product.stock_qty.normalize():f}", "unit": product.get_unit_display(),
               "name": product.name_vi},
            fields={"product_id": product.pk, "available": str(product.stock_qty), "requested": str(requested)},
        )
        self.product = product
