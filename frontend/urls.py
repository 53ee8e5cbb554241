from django.urls import path, re_path

from frontend.views import (
    auth,
    card,
    cart,
    checkout,
    coop,
    coop_bulk,
    desk,
    finance,
    invitations,
    public,
    register,
    rfq,
    search,
    staff,
    variants,
)

app_name = "frontend"

urlpatterns = [
    path("", public.home, name="home"),
    path("hop-tac-xa/", public.directory, name="directory"),
    path("hop-tac-xa/<slug:slug>/", public.coop_profile, name="coop_profile"),
    path("san-pham/<int:pk>/<slug:slug>/", public.product, name="product"),
    path("tim-kiem/", search.search, name="search"),
    path("tim-kiem/goi-y/", search.suggest, name="suggest"),
    # Auth.
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("signup/", auth.signup, name="signup"),
    path("ngon-ngu/", auth.language_switch, name="language"),
    path("password-reset/", auth.password_reset, name="password_reset"),
    path("password-reset/sent/", auth.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password-reset/done/", auth.password_reset_complete, name="password_reset_complete"),
    path("invitations/<str:token>/", invitations.invitation_accept, name="invitation_accept"),
    # Cart.
    path("gio-hang/", cart.cart, name="cart"),
    path("gio-hang/them/", cart.cart_add, name="cart_add"),
    path("gio-hang/sua/", cart.cart_update, name="cart_update"),
    path("gio-hang/xoa/", cart.cart_remove, name="cart_remove"),
    # Checkout and orders.
    path("thanh-toan/", checkout.checkout, name="checkout"),
    path("thanh-toan/phuong-xa/", checkout.wards, name="wards"),
    path("thanh-toan/<int:pk>/", checkout.checkout_done, name="checkout_done"),
    path("thanh-toan/<int:pk>/the/", card.checkout_pay, name="checkout_pay"),
    path("don-hang/", checkout.order_list, name="order_list"),
    path("don-hang/<str:code>/", checkout.order_detail, name="order_detail"),
    path("don-hang/<str:code>/vietqr.svg", checkout.order_vietqr, name="order_vietqr"),
    path("don-hang/<str:code>/vietqr.png", checkout.order_vietqr_png, name="order_vietqr_png"),
    path("don-hang/<str:code>/huy/", checkout.order_cancel, name="order_cancel"),
    path("don-hang/<str:code>/da-nhan-hang/", checkout.order_received, name="order_received"),
    # Cooperative staff.
    path("htx/", coop.coop_home, name="coop_home"),
    path("htx/dang-ky/", register.register, name="coop_register"),
    path("htx/dang-ky/phuong-xa/", register.wards, name="coop_register_wards"),
    path("htx/<int:coop_id>/", coop.dashboard, name="coop_dashboard"),
    path("htx/<int:coop_id>/gui-xac-minh/", coop.submit, name="coop_submit"),
    path("htx/<int:coop_id>/ho-so/", coop.profile, name="coop_profile_edit"),
    path("htx/<int:coop_id>/giay-to/", coop.documents, name="coop_documents"),
    path("htx/<int:coop_id>/san-pham/", coop.product_list, name="coop_products"),
    path(
        "htx/<int:coop_id>/san-pham/hang-loat/", coop_bulk.products_bulk, name="coop_products_bulk"
    ),
    path("htx/<int:coop_id>/nhap/anh/", coop_bulk.import_photos, name="coop_import_photos"),
    path("htx/<int:coop_id>/san-pham/moi/", coop.product_create, name="coop_product_create"),
    path(
        "htx/<int:coop_id>/san-pham/<int:product_id>/", coop.product_edit, name="coop_product_edit"
    ),
    path(
        "htx/<int:coop_id>/san-pham/<int:product_id>/dang-ban/",
        coop.product_publish,
        name="coop_product_publish",
    ),
    path(
        "htx/<int:coop_id>/san-pham/<int:product_id>/lua-chon/",
        variants.variants_bulk,
        name="coop_variants_bulk",
    ),
    path(
        "htx/<int:coop_id>/san-pham/<int:product_id>/lua-chon/them/",
        variants.variant_add,
        name="coop_variant_add",
    ),
    path(
        "htx/<int:coop_id>/san-pham/<int:product_id>/lua-chon/<int:variant_id>/xoa/",
        variants.variant_delete,
        name="coop_variant_delete",
    ),
    path(
        "htx/<int:coop_id>/san-pham/<int:product_id>/ton-kho/",
        coop.product_stock,
        name="coop_product_stock",
    ),
    path(
        "htx/<int:coop_id>/san-pham/<int:product_id>/anh/",
        coop.product_image_add,
        name="coop_product_image_add",
    ),
    path(
        "htx/<int:coop_id>/san-pham/<int:product_id>/anh/sap-xep/",
        coop.product_image_move,
        name="coop_product_image_move",
    ),
    path("htx/<int:coop_id>/chung-nhan/", coop.certifications, name="coop_certifications"),
    path("htx/<int:coop_id>/nhap/", coop.import_start, name="coop_import"),
    path("htx/<int:coop_id>/nhap/<int:job_id>/", coop.import_job, name="coop_import_job"),
    path(
        "htx/<int:coop_id>/nhap/<int:job_id>/ap-dung/", coop.import_apply, name="coop_import_apply"
    ),
    path("htx/<int:coop_id>/don-hang/", desk.order_desk, name="coop_orders"),
    path("htx/<int:coop_id>/doanh-thu/", finance.coop_earnings, name="coop_earnings"),
    path("htx/<int:coop_id>/don-hang/<str:code>/chuyen/", desk.order_move, name="coop_order_move"),
    path(
        "htx/<int:coop_id>/don-hang/<str:code>/da-nhan-tien/",
        desk.order_paid,
        name="coop_order_paid",
    ),
    re_path(
        r"^htx/(?P<coop_id>\d+)/don-hang/(?P<code>[^/]+)/(?P<kind>slip|invoice)/$",
        desk.order_print,
        name="coop_order_print",
    ),
    # Platform admins.
    path("quan-tri/", staff.queue, name="staff_queue"),
    path("quan-tri/tai-chinh/", finance.staff_finance, name="staff_finance"),
    path("quan-tri/tai-chinh/chi-tra/", finance.staff_payout_run, name="staff_payout_run"),
    path(
        "quan-tri/tai-chinh/chi-tra/<int:line_id>/da-chuyen/",
        finance.staff_payout_line_paid,
        name="staff_payout_line_paid",
    ),
    path(
        "quan-tri/tai-chinh/chi-tra/<int:line_id>/loi/",
        finance.staff_payout_line_failed,
        name="staff_payout_line_failed",
    ),
    path("quan-tri/htx/<int:coop_id>/", staff.cooperative, name="staff_cooperative"),
    re_path(
        r"^quan-tri/htx/(?P<coop_id>\d+)/(?P<decision>verify|reject|suspend|reinstate)/$",
        staff.decide,
        name="staff_decide",
    ),
    path("quan-tri/chung-nhan/", staff.certifications, name="staff_certifications"),
    re_path(
        r"^quan-tri/chung-nhan/(?P<cert_id>\d+)/(?P<decision>verify|reject)/$",
        staff.certification_decide,
        name="staff_certification_decide",
    ),
    path("quan-tri/tam-ngung/", staff.suspended, name="staff_suspended"),
    # Export trade: requests for quotation, quotes, export orders.
    path("rfq/", rfq.rfq_list, name="rfq_list"),
    path("rfq/new/", rfq.rfq_new, name="rfq_new"),
    path("rfq/<int:rfq_id>/", rfq.rfq_detail, name="rfq_detail"),
    path("rfq/<int:rfq_id>/close/", rfq.rfq_close, name="rfq_close"),
    path("rfq/<int:rfq_id>/quote/", rfq.quote_submit, name="rfq_quote"),
    path("rfq/<int:rfq_id>/quotes/<int:quote_id>/accept/", rfq.quote_accept, name="rfq_accept"),
    path(
        "rfq/<int:rfq_id>/quotes/<int:quote_id>/withdraw/", rfq.quote_withdraw, name="rfq_withdraw"
    ),
    path("rfq/<int:rfq_id>/messages/<int:coop_id>/", rfq.rfq_thread, name="rfq_thread"),
    path(
        "rfq/<int:rfq_id>/messages/<int:coop_id>/<int:message_id>/file",
        rfq.rfq_attachment,
        name="rfq_attachment",
    ),
    path("htx/<int:coop_id>/nhu-cau/", rfq.demand, name="coop_demand"),
    path("export/<str:code>/", rfq.export_order, name="export_order"),
    path("export/<str:code>/move/", rfq.export_move, name="export_move"),
    path("export/<str:code>/shipment/", rfq.export_shipment, name="export_shipment"),
    path("export/<str:code>/document/", rfq.export_document_upload, name="export_document"),
    path(
        "export/<str:code>/transport-document",
        rfq.export_transport_document,
        name="export_transport_document",
    ),
    path("export/<str:code>/<str:name>.pdf", rfq.export_pdf, name="export_pdf"),
    path(
        "export/<str:code>/installments/<int:installment_id>/wire/",
        rfq.export_wire,
        name="export_wire",
    ),
    path(
        "export/<str:code>/installments/<int:installment_id>/card/",
        rfq.export_card,
        name="export_card",
    ),
]
