"""Output serializers shared by the order views."""

from rest_framework import serializers

from orders.models import Checkout, Order, OrderEvent, OrderLine, Payment, PaymentMethod, Refund


class OrderLineOutput(serializers.ModelSerializer):
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, normalize_output=True)

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "product_id",
            "product_name",
            "sku",
            "unit",
            "unit_price_vnd",
            "quantity",
            "line_total_vnd",
            "refused",
            "refused_reason",
        ]


class OrderEventOutput(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = OrderEvent
        fields = ["kind", "from_status", "to_status", "note", "created_at", "actor"]

    def get_actor(self, obj: OrderEvent) -> str:
        """Who acted, as a role: "buyer", "cooperative", "platform" or "system". Never a name or
        an e-mail address: the buyer must not learn who at the platform or the cooperative
        handled the order (the audit found admins' and staff's full names and addresses here)."""
        if obj.actor_id is None:
            return "system"
        if obj.actor_id == obj.order.buyer_id:
            return "buyer"
        actor = obj.actor
        assert actor is not None  # actor_id is set (checked above)
        return "platform" if actor.is_staff else "cooperative"


class OrderOutput(serializers.ModelSerializer):
    cooperative = serializers.SerializerMethodField()
    status_display = serializers.CharField(source="get_status_display")
    payment_status_display = serializers.CharField(source="get_payment_status_display")
    lines = OrderLineOutput(many=True)
    timeline = OrderEventOutput(many=True, source="events")

    class Meta:
        model = Order
        fields = [
            "id",
            "code",
            "checkout_id",
            "cooperative",
            "status",
            "status_display",
            "payment_status",
            "payment_status_display",
            "payment_method",
            "subtotal_vnd",
            "shipping_fee_vnd",
            "commission_percent",
            "commission_vnd",
            "total_vnd",
            "amount_refunded_vnd",
            "note",
            "carrier",
            "tracking_number",
            "cancel_reason",
            "placed_at",
            "reserved_until",
            "lines",
            "timeline",
        ]

    def get_cooperative(self, obj: Order) -> dict:
        return {
            "id": obj.cooperative_id,
            "name": obj.cooperative.display_name,
            "slug": obj.cooperative.slug,
        }


class OrderListOutput(OrderOutput):
    class Meta(OrderOutput.Meta):
        fields = [f for f in OrderOutput.Meta.fields if f not in ("lines", "timeline")]


class PaymentOutput(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = [
            "id",
            "order_id",
            "provider",
            "amount",
            "currency",
            "status",
            "provider_id",
            "client_secret",
        ]


class CheckoutOutput(serializers.ModelSerializer):
    orders = OrderOutput(many=True)
    payments = PaymentOutput(many=True)

    class Meta:
        model = Checkout
        fields = [
            "id",
            "currency",
            "usd_vnd_rate",
            "subtotal_vnd",
            "shipping_vnd",
            "total_vnd",
            "total_usd",
            "payment_method",
            "country",
            "incoterm",
            "created_at",
            "orders",
            "payments",
        ]


class RefundOutput(serializers.ModelSerializer):
    method = serializers.SerializerMethodField(
        help_text="card: through Stripe; wire: paid back by bank transfer"
    )

    class Meta:
        model = Refund
        fields = ["id", "amount_vnd", "method", "reason", "status", "provider_id", "created_at"]

    def get_method(self, refund: Refund) -> str:
        return "card" if refund.payment.provider == PaymentMethod.STRIPE else "wire"


class RefundAdminOutput(serializers.ModelSerializer):
    order = serializers.CharField(source="order.code")
    provider = serializers.CharField(source="payment.provider")

    class Meta:
        model = Refund
        fields = [
            "id",
            "order",
            "provider",
            "amount_vnd",
            "reason",
            "status",
            "provider_id",
            "created_at",
        ]
