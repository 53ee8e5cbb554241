"""Errors of the orders app, each with a stable machine code."""

from django.utils.translation import gettext_lazy as _

from market.errors import (  # noqa: F401
    Conflict,
    DomainError,
    InvalidTransition,
    NotFound,
    ReasonRequired,
    ValidationFailed,
)


class QuantityInvalid(DomainError):
    code = "quantity_invalid"
    status = 400
    default_message = _("This quantity cannot be ordered.")


class BelowMinimumOrder(QuantityInvalid):
    code = "below_minimum_order"
    default_message = _("The quantity is below the minimum order quantity.")


class OffOrderStep(QuantityInvalid):
    code = "off_order_step"
    default_message = _("The quantity must be a multiple of the order step.")


class NotDivisible(QuantityInvalid):
    code = "quantity_not_divisible"
    default_message = _("This product is sold in whole units only.")


class NotPurchasable(DomainError):
    code = "not_purchasable"
    status = 409
    default_message = _("This product cannot be bought right now.")


class CartEmpty(DomainError):
    code = "cart_empty"
    status = 409
    default_message = _("Your cart is empty.")


class CartChanged(DomainError):
    """The cart changed under the buyer (price, stock, withdrawn product): review and retry."""

    code = "cart_changed"
    status = 409
    default_message = _("Your cart has changed. Please review it before placing the order.")


class PriceChanged(CartChanged):
    code = "price_changed"
    default_message = _("Prices have changed since you last saw them. Please review your cart.")


class OutOfStock(DomainError):
    code = "out_of_stock"
    status = 409
    default_message = _("Not enough stock.")


class PaymentMethodNotAllowed(DomainError):
    code = "payment_method_not_allowed"
    status = 400
    default_message = _("This payment method is not available for this order.")


class AddressInvalid(ValidationFailed):
    code = "address_invalid"
    default_message = _("The shipping address is incomplete or invalid.")


class TrackingRequired(ValidationFailed):
    code = "tracking_required"
    default_message = _("A carrier and a tracking number are required to ship.")


class TransitionNotAllowed(InvalidTransition):
    code = "invalid_transition"


class ActionForbidden(DomainError):
    code = "permission_denied"
    status = 403
    default_message = _("You do not have permission to do this.")


class DocumentsWithheld(DomainError):
    """An export order's shipping documents (bill of lading / airway bill, commercial invoice,
    packing list) asked for by its buyer before the payment schedule is paid."""

    code = "documents_withheld"
    status = 409
    default_message = _(
        "The shipping documents are released once the payment schedule is paid in full."
    )


class RefundInvalid(DomainError):
    code = "refund_invalid"
    status = 409
    default_message = _("This refund is not possible.")


class PaymentNotConfirmable(DomainError):
    code = "payment_not_confirmable"
    status = 409
    default_message = _("This payment cannot be confirmed.")


class PaymentAmountMismatch(DomainError):
    code = "payment_amount_mismatch"
    status = 422
    default_message = _("The amount received is not the order's total.")


class UnknownPayment(DomainError):
    code = "unknown_payment"
    status = 422
    default_message = _("No payment matches this notification.")


class PaymentProviderError(DomainError):
    code = "payment_provider_error"
    status = 502
    default_message = _("The payment provider could not be reached. Please try again.")


class VietQRUnavailable(DomainError):
    code = "vietqr_unavailable"
    status = 409
    default_message = _("Bank transfer details are not available for this order.")


class IdempotencyKeyMissing(DomainError):
    code = "idempotency_key_missing"
    status = 400
    default_message = _("The Idempotency-Key header is required.")


class IdempotencyKeyInvalid(DomainError):
    code = "idempotency_key_invalid"
    status = 400
    default_message = _("The Idempotency-Key header must be 1 to 255 printable ASCII characters.")


class IdempotencyKeyInFlight(DomainError):
    code = "idempotency_key_in_flight"
    status = 409
    default_message = _("A request with this Idempotency-Key is still being processed.")


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422
    default_message = _("This Idempotency-Key was already used with a different request.")


class WebhookSignatureInvalid(DomainError):
    code = "webhook_signature_invalid"
    status = 400
    default_message = _("The webhook signature is missing or invalid.")


class WebhookPayloadInvalid(DomainError):
    code = "webhook_payload_invalid"
    status = 400
    default_message = _("The webhook payload is not valid.")


class UnpaidOrdersLimit(DomainError):
    """The buyer already holds as many unpaid bank-transfer orders (or as much value) as allowed."""

    code = "unpaid_orders_limit"
    status = 409
    default_message = _("Pay or cancel your open bank-transfer orders before placing more.")


class CheckoutThrottled(DomainError):
    code = "throttled"
    status = 429
    default_message = _("Too many orders in a short time. Try again later.")


class EmailNotVerified(DomainError):
    code = "email_not_verified"
    status = 403
    default_message = _("Confirm your e-mail address before placing an order of this value.")


class WireAmountInvalid(DomainError):
    code = "wire_amount_invalid"
    status = 422
    default_message = _("The amount confirmed is more than what is due on this installment.")


class InstallmentNotPayable(DomainError):
    code = "installment_not_payable"
    status = 409
    default_message = _("This installment cannot be paid now.")


class RatesInvalid(ValidationFailed):
    code = "rates_invalid"
    default_message = _("The rate file has errors; nothing was loaded.")


class ShipmentInvalid(ValidationFailed):
    code = "shipment_invalid"
    default_message = _("The shipment data is incomplete or invalid.")
