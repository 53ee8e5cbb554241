"""Orders API under /api/v1/."""

from django.urls import path

from orders.apis import cart, checkout, desk, export, orders, payments, printouts

app_name = "orders"

urlpatterns = [
    path("cart/", cart.CartGetApi.as_view(), name="cart"),
    path("cart/lines/", cart.CartLineAddApi.as_view(), name="cart-line-add"),
    path("cart/lines/<id:product_id>/", cart.CartLineUpdateApi.as_view(), name="cart-line"),
    path("checkout/", checkout.CheckoutPlaceApi.as_view(), name="checkout-place"),
    path(
        "checkouts/<id:checkout_id>/", checkout.CheckoutDetailApi.as_view(), name="checkout-detail"
    ),
    path(
        "checkouts/<id:checkout_id>/stripe-intent/",
        checkout.CheckoutStripeIntentApi.as_view(),
        name="checkout-stripe-intent",
    ),
    path("orders/", orders.OrderListMineApi.as_view(), name="order-list-mine"),
    path("coop/orders/", orders.OrderListCooperativeApi.as_view(), name="order-list-coop"),
    path("coop/orders/bulk/", desk.OrderBulkMoveApi.as_view(), name="order-bulk-move"),
    path("coop/orders/export.csv", desk.OrderExportCsvApi.as_view(), name="order-export-csv"),
    path("admin/orders/", orders.OrderListAdminApi.as_view(), name="order-list-admin"),
    path(
        "admin/unpaid-holders/",
        orders.UnpaidHolderListAdminApi.as_view(),
        name="unpaid-holder-list-admin",
    ),
    path("admin/refunds/", payments.RefundListAdminApi.as_view(), name="refund-list-admin"),
    path(
        "admin/refunds/<id:refund_id>/paid-out/",
        payments.RefundPaidOutApi.as_view(),
        name="refund-paid-out",
    ),
    path("orders/<str:code>/", orders.OrderDetailApi.as_view(), name="order-detail"),
    path(
        "orders/<str:code>/packing-slip.pdf",
        printouts.OrderPackingSlipPdfApi.as_view(),
        name="order-packing-slip-pdf",
    ),
    path(
        "orders/<str:code>/invoice.pdf",
        printouts.OrderInvoicePdfApi.as_view(),
        name="order-invoice-pdf",
    ),
    path("orders/<str:code>/confirm/", orders.OrderConfirmApi.as_view(), name="order-confirm"),
    path("orders/<str:code>/refuse/", orders.OrderRefuseApi.as_view(), name="order-refuse"),
    path("orders/<str:code>/pack/", orders.OrderPackApi.as_view(), name="order-pack"),
    path("orders/<str:code>/ship/", orders.OrderShipApi.as_view(), name="order-ship"),
    path("orders/<str:code>/deliver/", orders.OrderDeliverApi.as_view(), name="order-deliver"),
    path("orders/<str:code>/complete/", orders.OrderCompleteApi.as_view(), name="order-complete"),
    path("orders/<str:code>/cancel/", orders.OrderCancelApi.as_view(), name="order-cancel"),
    path(
        "orders/<str:code>/payment/confirm/",
        payments.OrderPaymentConfirmApi.as_view(),
        name="order-payment-confirm",
    ),
    path("orders/<str:code>/refunds/", payments.OrderRefundApi.as_view(), name="order-refunds"),
    path("orders/<str:code>/vietqr/", payments.OrderVietQRApi.as_view(), name="order-vietqr"),
    path(
        "orders/<str:code>/vietqr.svg",
        payments.OrderVietQRImageApi.as_view(),
        {"kind": "svg"},
        name="order-vietqr-svg",
    ),
    path(
        "orders/<str:code>/vietqr.png",
        payments.OrderVietQRImageApi.as_view(),
        {"kind": "png"},
        name="order-vietqr-png",
    ),
    path("payments/stripe/webhook", payments.StripeWebhookApi.as_view(), name="stripe-webhook"),
    path(
        "payments/bank-transfer/reconcile",
        payments.BankReconcileApi.as_view(),
        name="bank-reconcile",
    ),
    # Export orders made from an accepted quote, and the USD/VND rate table.
    path("rates/", export.RateListAddApi.as_view(), name="rate-list"),
    path("orders/<str:code>/export/", export.ExportOrderApi.as_view(), name="order-export"),
    path(
        "orders/<str:code>/installments/<id:installment_id>/wire/",
        export.InstallmentWireConfirmApi.as_view(),
        name="installment-wire",
    ),
    path(
        "orders/<str:code>/installments/<id:installment_id>/card/",
        export.InstallmentCardApi.as_view(),
        name="installment-card",
    ),
    path("orders/<str:code>/shipment/", export.ShipmentApi.as_view(), name="order-shipment"),
    path(
        "orders/<str:code>/transport-document/",
        export.TransportDocumentApi.as_view(),
        name="order-transport-document",
    ),
    path("orders/<str:code>/proforma.pdf", export.ProformaPdfApi.as_view(), name="order-proforma"),
    path(
        "orders/<str:code>/commercial-invoice.pdf",
        export.CommercialInvoicePdfApi.as_view(),
        name="order-commercial-invoice",
    ),
    path(
        "orders/<str:code>/packing-list.pdf",
        export.PackingListPdfApi.as_view(),
        name="order-packing-list",
    ),
]
