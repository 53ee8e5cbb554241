from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from ledger.checks import register_source
        from orders.ledger import expected_legs

        # ledger_check recomputes the accounts orders post to from payments, refunds and orders.
        register_source(expected_legs)
        # Registers the export installments' PaymentIntent handler with the Stripe webhook.
        from orders.services import export  # noqa: F401
