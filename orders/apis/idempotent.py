"""One way for a create endpoint to honour `Idempotency-Key` (orders.services.idempotency):
the key is claimed, the work runs once, its response is stored and replayed to a repeat."""

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from market.api.permissions import SignedInApiRequest
from orders.services.idempotency import idempotency_claim, idempotency_finish, idempotency_release

KEY_HELP = (
    "400 when malformed, 409 while the same key is in flight, 422 when reused with a different "
    "body; the stored response is replayed (header Idempotent-Replayed: true) otherwise."
)


def idempotency_header(*, required: bool, purpose: str) -> OpenApiParameter:
    return OpenApiParameter(
        "Idempotency-Key",
        str,
        OpenApiParameter.HEADER,
        required=required,
        description=f"A unique key per intended {purpose} (e.g. a UUID)"
        + ("" if required else "; without it a repeated request acts again")
        + f". {KEY_HELP}",
    )


def idempotent_response(
    request: SignedInApiRequest,
    *,
    scope: str,
    required: bool,
    run: Callable[[str | None], tuple[int, Any]],
) -> Response:
    """Answer `run(key)` -> (status, body) once per key. With `required=False` a request without
    the header just runs. Work that raises wrote nothing (one transaction), so its key is
    released and the client may retry with it."""
    key = request.headers.get("Idempotency-Key")
    if key is None and not required:
        status, body = run(None)
        return Response(body, status=status)
    claim = idempotency_claim(
        principal=f"user:{request.user.pk}", key=key, scope=scope, body=request.data
    )
    if claim.replay is not None:
        stored_status, stored_body = claim.replay
        return Response(stored_body, status=stored_status, headers={"Idempotent-Replayed": "true"})
    try:
        status, body = run(claim.record.key)
    except Exception:
        idempotency_release(claim=claim)
        raise
    idempotency_finish(claim=claim, status=status, body=body)
    return Response(body, status=status)
