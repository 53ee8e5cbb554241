from django.utils.translation import gettext_lazy as _

from market.errors import DomainError


class InsufficientStock(DomainError):
    code = "insufficient_stock"
    status = 409
    default_message = _("Not enough stock.")

    def __init__(self, *, product, requested):
        super().__init__(
            _("Only %(available)s %(unit)s of “%(name)s” left.")
            % {
                "available": f"{product.stock_qty.normalize():f}",
                "unit": product.get_unit_display(),
                "name": product.name_vi,
            },
            fields={
                "product_id": product.pk,
                "available": str(product.stock_qty),
                "requested": str(requested),
            },
        )
        self.product = product


class ProductInvalid(DomainError):
    """A product field breaks a catalog rule; `fields` names each field and what is wrong."""

    code = "product_invalid"
    status = 400
    default_message = _("Some product fields are invalid.")


class TiersInvalid(DomainError):
    code = "price_tiers_invalid"
    status = 400
    default_message = _("Price tiers are invalid.")


class ProductIncomplete(DomainError):
    code = "product_incomplete"
    status = 422
    default_message = _("The product is not complete enough to publish.")


class ProductArchived(DomainError):
    code = "product_archived"
    status = 409
    default_message = _("This product is archived and cannot be changed.")


class ImageInvalid(DomainError):
    code = "image_invalid"
    status = 400
    default_message = _("The file is not a JPEG, PNG or WebP image.")


class ImageTooLarge(DomainError):
    code = "image_too_large"
    status = 400
    default_message = _("The image has too many pixels (possible decompression bomb).")


class ImageOrderInvalid(DomainError):
    code = "image_order_invalid"
    status = 400
    default_message = _("The new order must list each image of the product exactly once.")


class CertificationInvalid(DomainError):
    code = "certification_invalid"
    status = 400
    default_message = _("The certification is invalid.")


class CertificationAlreadyChecked(DomainError):
    code = "certification_already_checked"
    status = 409
    default_message = _("This certification has already been checked.")


class ImportFileInvalid(DomainError):
    code = "import_file_invalid"
    status = 400
    default_message = _("The file cannot be read as CSV or XLSX.")


class ImportNotApplicable(DomainError):
    code = "import_not_applicable"
    status = 409
    default_message = _("This import cannot be applied in its current state.")


class LastVariant(DomainError):
    code = "last_variant"
    status = 409
    default_message = _(
        "This is the last variant of a published product; archive the product instead."
    )


class VariantInOrders(DomainError):
    code = "variant_in_orders"
    status = 409
    default_message = _("This variant has been ordered; archive it instead of deleting it.")


class VariantRequired(DomainError):
    code = "variant_required"
    status = 400
    default_message = _("This product comes in several variants: choose one (variant_id).")
