"""`manage.py loadtest_prepare --buyers N [--products M]`: the actors and data of bench/load.py.

Creates N load-test buyers `loadtest+<i>@htx.market` with API tokens (they change carts), and a
pool of checkout buyers made fresh for each run (`loadtest+<run>-<i>@htx.market`, e-mail
verified): the checkout bounds (unpaid orders and checkouts per buyer per hour) hold for each of
them as for real buyers, so every checkout of a run is placed by another person. It also logs in the
owners of a few verified cooperatives (server-side sessions, as a browser login would), picks M
purchasable products and gives them a deep stock (so thousands of test checkouts never run out),
and prints one JSON document: buyers' tokens, owners' session keys and desk paths, products
(id, page path, quantity to order), a delivery address, categories and provinces for filters.
Meant for a load-test database only (it changes stock). Safe to re-run.
"""

import json
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from catalog.models import Category, Product
from catalog.selectors import product_list_purchasable
from market.models import Cooperative, Membership, Province, User, Ward
from orders.models import CartLine

PASSWORD = "loadtest-12345"  # noqa: S105  (load-test accounts of a load-test database)
DEEP_STOCK = Decimal("1000000000")
_HAS_VERIFIED = any(f.name == "email_verified_at" for f in User._meta.get_fields())


class Command(BaseCommand):
    help = "Create the buyers, sessions and stock a load test needs; print them as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--buyers", type=int, default=40)
        parser.add_argument("--owners", type=int, default=8)
        parser.add_argument("--products", type=int, default=60)
        parser.add_argument("--checkout-buyers", type=int, default=2000)

    def handle(
        self,
        *args: Any,
        buyers: int,
        owners: int,
        products: int,
        checkout_buyers: int,
        **options: Any,
    ) -> None:
        with transaction.atomic():
            data: dict[str, list] = {
                "buyers": self._buyers(buyers),
                "checkout_buyers": self._pool(checkout_buyers),
                "owners": self._owners(owners),
                "products": self._products(products),
                "categories": list(Category.objects.order_by("pk").values_list("pk", flat=True)),
                "provinces": list(
                    Product.objects.filter(origin_province__isnull=False)
                    .order_by()
                    .values_list("origin_province_id", flat=True)
                    .distinct()
                ),
            }
        self.stdout.write(json.dumps({**data, "address": self._address()}))
        self.stderr.write(
            f"loadtest_prepare: {len(data['buyers'])} buyers, {len(data['owners'])} cooperative "
            f"owners, {len(data['products'])} products with deep stock"
        )

    def _buyers(self, n: int) -> list[dict]:
        out = []
        for i in range(n):
            email = f"loadtest+{i}@htx.market"
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email=email, password=PASSWORD, language="vi")
            if _HAS_VERIFIED and not user.email_verified_at:
                User.objects.filter(pk=user.pk).update(email_verified_at=timezone.now())
            token, _ = Token.objects.get_or_create(user=user)
            out.append({"email": email, "token": token.key})
        # every run starts from empty carts (the load test keeps them at three lines or fewer)
        CartLine.objects.filter(cart__user__email__startswith="loadtest+").delete()
        return out

    def _pool(self, n: int) -> list[str]:
        """Fresh buyers (one password hash for all: hashing is the slow part), their tokens."""
        run = uuid.uuid4().hex[:8]
        password = make_password(PASSWORD)
        now = timezone.now()
        users = User.objects.bulk_create(
            [
                User(
                    email=f"loadtest+{run}-{i}@htx.market",
                    password=password,
                    language="vi",
                    **({"email_verified_at": now} if _HAS_VERIFIED else {}),
                )
                for i in range(n)
            ],
            batch_size=1000,
        )
        tokens = Token.objects.bulk_create(
            [Token(user=u, key=Token.generate_key()) for u in users], batch_size=1000
        )
        return [t.key for t in tokens]

    def _owners(self, n: int) -> list[dict]:
        from importlib import import_module

        store = import_module(settings.SESSION_ENGINE).SessionStore
        memberships = (
            Membership.objects.filter(
                role=Membership.Role.OWNER,
                cooperative__status=Cooperative.Status.VERIFIED,
                user__is_active=True,
            )
            .select_related("user")
            .order_by("cooperative_id")[:n]
        )
        out = []
        for m in memberships:
            session = store()
            session[SESSION_KEY] = str(m.user.pk)
            session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
            session[HASH_SESSION_KEY] = m.user.get_session_auth_hash()
            session.create()
            desk = reverse("frontend:coop_orders", kwargs={"coop_id": m.cooperative_id})
            out.append({"session": session.session_key, "desk": desk})
        return out

    def _products(self, n: int) -> list[dict]:
        # An everyday basket (one minimum quantity under 2,000,000 ₫): within the unpaid-value and
        # verified-e-mail bounds, spread over cooperatives (every 5th of them in pk order).
        cheap = [
            p
            for p in product_list_purchasable()
            .filter(price_vnd__gt=0, price_vnd__lte=2_000_000, order_step=1)
            .order_by("cooperative_id", "pk")[: n * 20]
            if (p.price_vnd or 0) * p.min_order_qty <= 2_000_000
        ]
        rows = cheap[::5][:n] or cheap[:n]
        Product.objects.filter(pk__in=[p.pk for p in rows]).update(stock_qty=DEEP_STOCK)
        return [
            {
                "id": p.pk,
                "page": reverse("frontend:product", kwargs={"pk": p.pk, "slug": p.slug}),
                "qty": str(p.min_order_qty.normalize()),
            }
            for p in rows
        ]

    def _address(self) -> dict:
        ward = Ward.objects.select_related("province").order_by("pk").first()
        province = ward.province if ward else Province.objects.order_by("pk").first()
        return {
            "recipient_name": "Nguyễn Văn Tải",
            "recipient_phone": "0912345678",
            "address_line": "12 Lê Lợi",
            "country": "VN",
            "province_code": province.pk if province else None,
            "ward_code": ward.pk if ward else None,
        }
