"""Schema fuzzing (issue 11, part 7): every operation of the OpenAPI schema, as anonymous and as
each role, on a seeded database, with schemathesis' `not_a_server_error` check. Any 5xx fails.

The audit's run (70,831 requests) found six causes of HTTP 500; this keeps them from coming back.
It runs in the normal suite and so in `.ci/run`, bounded: FUZZ_EXAMPLES generated requests per
operation and generation mode (default 3), each sent as every role, and at most FUZZ_SECONDS
(default 240) in all (the operations not reached then are counted in the printed figures).
Positive data runs with the path parameters pinned to the seeded objects (so the request reaches
the view's code, not only its 404); negative data (invalid types, out-of-range numbers, missing
fields) runs with free path parameters. The figures (operations, requests, 5xx) are printed at
the end and written to FUZZ_REPORT (JSON) if set; FUZZ_ONLY (a regex on "METHOD /path") narrows
the run to debug one operation.

The requests go through the WSGI application in this process (no server: schemathesis' WSGI
transport), against the real database, with committed data (`transactional_db`), like production.
"""

import json
import os
import re
import time
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token

pytestmark = [pytest.mark.slow, pytest.mark.fuzz]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
BUDGET_SECONDS = float(os.environ.get("FUZZ_SECONDS", "240"))


@pytest.fixture
def world(transactional_db, settings):
    """Anonymous, a buyer with an order, a cooperative owner and staff member, and an admin."""
    from catalog.models import Product
    from tests.factories.catalog import ProductFactory
    from tests.factories.market import CooperativeFactory, MembershipFactory, UserFactory
    from tests.factories.orders import place

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    coop = CooperativeFactory(verified=True)
    owner = MembershipFactory(cooperative=coop, role="OWNER").user
    staff = MembershipFactory(cooperative=coop, role="STAFF").user
    buyer = UserFactory()
    admin = UserFactory(platform_admin=True)
    product = ProductFactory(cooperative=coop, stock_qty=Decimal("1000"))
    checkout = place(buyer, (product, 2))
    order = checkout.orders.get()
    users = {"anonymous": None, "buyer": buyer, "owner": owner, "staff": staff, "admin": admin}
    pinned = {
        "pk": coop.pk,
        "key": coop.pk,
        "coop_id": coop.pk,
        "cooperative_id": coop.pk,
        "product_id": product.pk,
        "code": order.code,
        "checkout_id": checkout.pk,
        "order_id": order.pk,
        "user_id": staff.pk,
    }
    assert Product.objects.filter(pk=product.pk).exists()
    return users, pinned


def _token_headers(user) -> dict:
    if user is None:
        return {}
    token, _ = Token.objects.get_or_create(user=user)  # logout may have revoked the last one
    return {"Authorization": f"Token {token.key}"}


def test_no_operation_answers_a_server_error_for_any_role(world, capsys):
    import schemathesis
    from django.core.wsgi import get_wsgi_application
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error

    users, pinned = world
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    only = os.environ.get("FUZZ_ONLY")  # a regular expression on "METHOD /path", to debug one
    if only:
        operations = [op for op in operations if re.search(only, op.label)]
    stats = {"requests": 0, "errors": [], "statuses": {}, "operations_run": 0}
    started = time.monotonic()

    def exercise(operation, mode, path_parameters):
        """One Hypothesis run: each generated request is sent once per role."""
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

        @seed(20261206)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case):
            for role, user in users.items():
                response = case.call(headers=_token_headers(user))
                stats["requests"] += 1
                code = response.status_code
                stats["statuses"][code] = stats["statuses"].get(code, 0) + 1
                if code >= 500:
                    stats["errors"].append(
                        f"{role} {mode.value}: {case.as_curl_command()} -> {code}"[:600]
                    )
                case.validate_response(response, checks=[not_a_server_error])

        try:
            run()
        except Unsatisfiable:  # nothing valid (or invalid) left to generate for this operation
            pass
        except Exception as exc:  # a server error (recorded above) or a crash of the harness
            if not stats["errors"] or "Server error" not in str(exc):
                stats["errors"].append(f"{operation.label} {mode.value}: {exc!r}"[:600])

    progress = os.environ.get("FUZZ_PROGRESS")
    for operation in operations:
        if time.monotonic() - started > BUDGET_SECONDS:
            break
        if progress:
            with open(progress, "a") as fh:
                fh.write(
                    f"{time.monotonic() - started:7.1f}s {stats['requests']:6d} {operation.label}\n"
                )
        stats["operations_run"] += 1
        names = {p.name for p in operation.path_parameters}
        pins = {k: v for k, v in pinned.items() if k in names} or None
        # Positive data with the seeded ids reaches the views' code, not only their 404.
        exercise(operation, GenerationMode.POSITIVE, pins)
        # Negative data needs something to make invalid: a path or query parameter, or a body
        # (the security schemes' Authorization header and session cookie do not count).
        if [
            p for p in operation.iter_parameters() if p.location.value in ("path", "query")
        ] or operation.get_request_payload_content_types():
            exercise(operation, GenerationMode.NEGATIVE, None)

    elapsed = time.monotonic() - started
    summary = {
        "operations": len(operations),
        "operations_run": stats["operations_run"],
        "roles": list(users),
        "requests": stats["requests"],
        "server_errors": len(stats["errors"]),
        "statuses": dict(sorted(stats["statuses"].items())),
        "seconds": round(elapsed, 1),
    }
    with capsys.disabled():
        print(
            f"\nfuzz: {summary['operations_run']}/{summary['operations']} operations x "
            f"{len(users)} roles, {summary['requests']} requests, "
            f"{summary['server_errors']} server errors, {summary['seconds']} s; "
            f"statuses {summary['statuses']}"
        )
        for line in stats["errors"]:
            print("  " + line)
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "w") as fh:
            json.dump({**summary, "errors": stats["errors"]}, fh, indent=1)
    assert summary["operations"] >= (1 if only else 90)
    assert summary["requests"] > 0
    assert stats["errors"] == []
