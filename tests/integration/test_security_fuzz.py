"""Schema fuzzing (issue 11, part 7): every operation of the OpenAPI schema, as anonymous and as
each role, on a seeded database, with schemathesis' `not_a_server_error` check. Any 5xx fails.

The audit's run (70,831 requests) found six causes of HTTP 500; this keeps them from coming back.
It runs in the normal suite and so in `.ci/run`, bounded: FUZZ_EXAMPLES examples per operation,
role and generation mode (positive and negative data; default 3), and at most FUZZ_SECONDS
(default 240) in all. Each operation runs twice per mode: once with its path parameters pinned
to the seeded objects (so the request reaches the view's code, not only the 404), once free.
The figures (operations, requests, 5xx) are printed at the end and written to FUZZ_REPORT if set.

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
    stats = {"requests": 0, "server_errors": [], "statuses": {}, "call_seconds": 0.0}
    started = time.monotonic()

    def exercise(operation, role, mode, path_parameters):
        t3 = time.monotonic()
        headers = _token_headers(users[role])
        t4 = time.monotonic()
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
        stats["strategy_seconds"] = stats.get("strategy_seconds", 0) + time.monotonic() - t4
        stats["token_seconds"] = stats.get("token_seconds", 0) + t4 - t3

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
            stats["examples"] = stats.get("examples", 0) + 1
            if time.monotonic() - started > BUDGET_SECONDS:
                return
            t0 = time.monotonic()
            response = case.call(headers=headers)
            stats["call_seconds"] += time.monotonic() - t0
            stats["requests"] += 1
            stats["statuses"][response.status_code] = (
                stats["statuses"].get(response.status_code, 0) + 1
            )
            if response.status_code >= 500:
                stats["server_errors"].append(
                    f"{role} {mode.value} {case.method} {case.formatted_path} "
                    f"query={case.query} -> {response.status_code}"
                )
            t1 = time.monotonic()
            case.validate_response(response, checks=[not_a_server_error])
            stats["validate_seconds"] = stats.get("validate_seconds", 0) + time.monotonic() - t1

        t2 = time.monotonic()
        try:
            run()
        except Unsatisfiable:  # nothing left to vary (e.g. no invalid value for a bare GET)
            pass
        except Exception as exc:
            stats["server_errors"].append(f"{role} {operation.label}: {exc!r}"[:400])

    progress = os.environ.get("FUZZ_PROGRESS")
    for operation in operations:
        # Negative data needs something to make invalid: a path or query parameter, or a body
        # (the security schemes' Authorization header and session cookie do not count).
        modes = [GenerationMode.POSITIVE]
        if [
            p for p in operation.iter_parameters() if p.location.value in ("path", "query")
        ] or operation.get_request_payload_content_types():
            modes.append(GenerationMode.NEGATIVE)
        if time.monotonic() - started > BUDGET_SECONDS:
            break
        if progress:
            with open(progress, "a") as fh:
                fh.write(
                    f"{time.monotonic() - started:7.1f}s {stats['requests']:6d} {operation.label}\n"
                )
        names = {p.name for p in operation.path_parameters}
        pins = {k: v for k, v in pinned.items() if k in names}
        for role in users:
            for mode in modes:
                # Positive data with the seeded ids reaches the views; negative data with free
                # ids probes the parsing of every part of the request (ids beyond int64...).
                exercise(operation, role, mode, pins if mode is GenerationMode.POSITIVE else None)

    elapsed = time.monotonic() - started
    summary = {
        "operations": len(operations),
        "roles": list(users),
        "requests": stats["requests"],
        "server_errors": len(stats["server_errors"]),
        "statuses": dict(sorted(stats["statuses"].items())),
        "seconds": round(elapsed, 1),
        "seconds_in_requests": round(stats["call_seconds"], 1),
        "seconds_in_checks": round(stats.get("validate_seconds", 0), 1),
        "seconds_in_hypothesis": round(stats.get("run_seconds", 0), 1),
        "examples": stats.get("examples", 0),
        "seconds_in_strategies": round(stats.get("strategy_seconds", 0), 1),
        "seconds_in_tokens": round(stats.get("token_seconds", 0), 1),
        "budget_exhausted": elapsed > BUDGET_SECONDS,
    }
    with capsys.disabled():
        print(
            f"\nfuzz: {summary['operations']} operations x {len(users)} roles, "
            f"{summary['requests']} requests, {summary['server_errors']} server errors, "
            f"{summary['seconds']} s; statuses {summary['statuses']}"
        )
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "w") as fh:
            json.dump({**summary, "errors": stats["server_errors"]}, fh, indent=1)
    assert summary["operations"] >= (1 if only else 90)
    assert summary["requests"] > 0
    assert stats["server_errors"] == []
