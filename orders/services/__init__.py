"""Write services of the orders app (one transaction each). Import from the submodules:
cart, checkout, transitions, payments, stripe_payments, refunds, idempotency, notifications."""

from orders.services.cart import cart_merge  # noqa: F401  (the login flow calls this)
