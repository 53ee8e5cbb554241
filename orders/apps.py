from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self):
        # Registers the export installments' PaymentIntent handler with the Stripe webhook.
        from orders.services import export  # noqa: F401
