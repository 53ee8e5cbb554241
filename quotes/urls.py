"""RFQ API under /api/v1/rfqs/."""

from django.urls import path

from quotes import apis

app_name = "quotes"
Q = "rfqs/<id:rfq_id>/quotes/<id:quote_id>/"
T = "rfqs/<id:rfq_id>/threads/<id:cooperative_id>/messages/"

urlpatterns = [
    path("rfqs/", apis.RfqListCreateApi.as_view(), name="rfq-list"),
    path("rfqs/demand/", apis.DemandApi.as_view(), name="rfq-demand"),
    path("rfqs/<id:rfq_id>/", apis.RfqDetailApi.as_view(), name="rfq-detail"),
    path("rfqs/<id:rfq_id>/close/", apis.RfqCloseApi.as_view(), name="rfq-close"),
    path("rfqs/<id:rfq_id>/proforma.pdf", apis.ProformaPdfApi.as_view(), name="rfq-proforma"),
    path("rfqs/<id:rfq_id>/quotes/", apis.QuoteListSubmitApi.as_view(), name="quote-list"),
    path("rfqs/<id:rfq_id>/quotes/compare/", apis.QuoteCompareApi.as_view(), name="quote-compare"),
    path(Q + "revisions/", apis.QuoteRevisionsApi.as_view(), name="quote-revisions"),
    path(Q + "accept/", apis.QuoteAcceptApi.as_view(), name="quote-accept"),
    path(Q + "withdraw/", apis.QuoteWithdrawApi.as_view(), name="quote-withdraw"),
    path(T, apis.MessageListPostApi.as_view(), name="message-list"),
    path(
        T + "<id:message_id>/attachment",
        apis.MessageAttachmentApi.as_view(),
        name="message-attachment",
    ),
]
