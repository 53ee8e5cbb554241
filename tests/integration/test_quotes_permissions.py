"""Permission matrix of every RFQ endpoint over the six actors: anonymous, the RFQ's buyer,
another buyer, the quoting cooperative's staff, another (matching) cooperative's staff, admin.
A denied call changes nothing."""

import pytest

from orders.models import Order
from quotes.models import Quote, QuoteRevision, Rfq, RfqMessage
from tests.conftest import client_for
from tests.factories.quotes import give_quote, post_rfq, quote_data

pytestmark = pytest.mark.django_db
ACTORS = ["anonymous", "buyer", "other_buyer", "staff", "other_staff", "admin"]


@pytest.fixture
def world(trade):
    rfq = post_rfq(trade)
    quote = give_quote(trade, rfq)
    return {**trade, "rfq": rfq, "quote": quote}


def _snapshot():
    return (
        list(Rfq.objects.values_list("pk", "status")),
        list(Quote.objects.values_list("pk", "status", "revision", "unit_price")),
        QuoteRevision.objects.count(),
        Order.objects.count(),
        RfqMessage.objects.count(),
    )


def _quote_body(w, actor):
    product = w["other_product"] if actor == "other_staff" else w["product"]
    return {k: str(v) for k, v in quote_data(product).items()}


def _exp(*codes) -> dict:
    """Expected statuses in ACTORS order."""
    return dict(zip(ACTORS, codes, strict=True))


# (name, method, path, body, {actor: expected status})
CASES = [
    (
        "list",
        "get",
        "/api/v1/rfqs/",
        None,
        _exp(401, 200, 200, 200, 200, 200),
    ),
    (
        "detail",
        "get",
        "/api/v1/rfqs/{rfq}/",
        None,
        _exp(401, 200, 404, 200, 200, 200),
    ),
    (
        "quotes",
        "get",
        "/api/v1/rfqs/{rfq}/quotes/",
        None,
        _exp(401, 200, 404, 200, 200, 200),
    ),
    (
        "compare",
        "get",
        "/api/v1/rfqs/{rfq}/quotes/compare/",
        None,
        _exp(401, 200, 404, 404, 404, 200),
    ),
    (
        "revisions",
        "get",
        "/api/v1/rfqs/{rfq}/quotes/{quote}/revisions/",
        None,
        _exp(401, 200, 404, 200, 404, 200),
    ),
    (
        "submit",
        "post",
        "/api/v1/rfqs/{rfq}/quotes/",
        _quote_body,
        _exp(401, 403, 404, 201, 201, 403),
    ),
    (
        "accept",
        "post",
        "/api/v1/rfqs/{rfq}/quotes/{quote}/accept/",
        {},
        _exp(401, 200, 404, 404, 404, 403),
    ),
    (
        "withdraw",
        "post",
        "/api/v1/rfqs/{rfq}/quotes/{quote}/withdraw/",
        {},
        _exp(401, 404, 404, 200, 404, 404),
    ),
    (
        "close",
        "post",
        "/api/v1/rfqs/{rfq}/close/",
        {},
        _exp(401, 200, 404, 403, 403, 200),
    ),
    (
        "thread",
        "get",
        "/api/v1/rfqs/{rfq}/threads/{coop}/messages/",
        None,
        _exp(401, 200, 404, 200, 404, 200),
    ),
    (
        "write",
        "post",
        "/api/v1/rfqs/{rfq}/threads/{coop}/messages/",
        {"body": "Hello"},
        _exp(401, 201, 404, 201, 404, 201),
    ),
    (
        "demand",
        "get",
        "/api/v1/rfqs/demand/?cooperative={coop}",
        None,
        _exp(401, 404, 404, 200, 404, 200),
    ),
]
DENIED_CHANGES_NOTHING = {401, 403, 404}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_rfq_endpoint_permission_matrix(world, case, actor):
    name, method, path, body, expected = case
    url = path.format(rfq=world["rfq"].pk, quote=world["quote"].pk, coop=world["coop"].pk)
    if callable(body):
        body = body(world, actor)
    before = _snapshot()

    client = client_for(world[actor])
    r = client.get(url) if method == "get" else client.post(url, body, format="json")

    assert r.status_code == expected[actor], (name, actor, r.content[:300])
    if r.status_code in DENIED_CHANGES_NOTHING:
        assert _snapshot() == before
        assert set(r.json()) == {"code", "message", "fields"}


def test_list_shows_each_actor_only_what_it_may_see(world, trade):
    post_rfq(
        trade, buyer=trade["other_buyer"], destination_country="JP", category_id=trade["coffee"].pk
    )

    def codes(actor):
        return {r["id"] for r in client_for(world[actor]).get("/api/v1/rfqs/").json()["results"]}

    assert codes("buyer") == {world["rfq"].pk}
    assert len(codes("other_buyer")) == 1 and world["rfq"].pk not in codes("other_buyer")
    assert codes("staff") == {world["rfq"].pk}  # the coffee RFQ does not match a rice coop
    assert codes("coffee_staff") != set() and world["rfq"].pk not in codes("coffee_staff")
    assert len(codes("admin")) == 2


def test_quote_list_never_shows_a_competitors_price(world):
    quotes = client_for(world["other_staff"]).get(f"/api/v1/rfqs/{world['rfq'].pk}/quotes/")

    assert quotes.json() == []


@pytest.mark.parametrize("actor", ACTORS)
def test_proforma_pdf_permission_matrix(world, actor):
    from quotes.services import quote_accept

    quote_accept(actor=world["buyer"], quote_id=world["quote"].pk)
    expected = _exp(401, 200, 404, 200, 404, 200)

    r = client_for(world[actor]).get(f"/api/v1/rfqs/{world['rfq'].pk}/proforma.pdf")

    assert r.status_code == expected[actor]
    if r.status_code == 200:
        assert r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")


@pytest.mark.parametrize("actor", ACTORS)
def test_message_attachment_permission_matrix(world, actor):
    from quotes.services import message_post
    from tests.factories.market import PDF_BYTES, upload

    message = message_post(
        actor=world["staff"],
        rfq_id=world["rfq"].pk,
        cooperative_id=world["coop"].pk,
        body="spec",
        file=upload("spec.pdf"),
    )
    url = f"/api/v1/rfqs/{world['rfq'].pk}/threads/{world['coop'].pk}/messages/{message.pk}/attachment"

    r = client_for(world[actor]).get(url)

    assert r.status_code == _exp(401, 200, 404, 200, 404, 200)[actor]
    if r.status_code == 200:
        assert b"".join(r.streaming_content) == PDF_BYTES
