import pytest
from django.contrib.auth import authenticate

from market.cooperatives import demo
from market.models import Cooperative

pytestmark = pytest.mark.django_db


def test_demo_logins_work_and_seed_is_idempotent(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    demo.seed(lambda message: None)
    demo.seed(lambda message: None)

    assert authenticate(email=demo.ADMIN_EMAIL, password=demo.ADMIN_PASSWORD).is_platform_admin
    assert authenticate(email="buyer@htx.market", password=demo.DEMO_PASSWORD) is not None
    assert (
        authenticate(email="owner+htx-ca-phe-ea-tul@htx.market", password=demo.DEMO_PASSWORD)
        is not None
    )
    assert Cooperative.objects.count() == len(demo.COOPERATIVES)
    assert Cooperative.objects.filter(status="SUBMITTED").count() >= 1


def test_demo_market_has_40_verified_cooperatives_in_20_provinces(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    demo.seed(lambda message: None)

    verified = Cooperative.objects.filter(status="VERIFIED")
    assert verified.count() >= 40
    assert len(set(verified.values_list("province_id", flat=True))) >= 20
    lychee = Cooperative.objects.get(slug="htx-nong-san-bac-giang")
    assert (lychee.status, lychee.province.name) == ("VERIFIED", "Bắc Ninh")
    assert "Lục Ngạn" in lychee.legal_name
    # the products the foundation issue names, each sold by a verified cooperative where it grows
    by_place = {(c.province.name, c.slug) for c in verified.select_related("province")}
    for province, slug in [
        ("Đắk Lắk", "htx-ca-phe-ea-tul"),
        ("Lâm Đồng", "htx-ca-phe-cau-dat"),
        ("Thành phố Cần Thơ", "htx-lua-gao-soc-trang"),
        ("An Giang", "htx-gao-thoai-son"),
        ("Lạng Sơn", "htx-hoi-que-lang-son"),
        ("Lạng Sơn", "htx-na-chi-lang"),
        ("Thái Nguyên", "htx-che-tan-cuong"),
        ("An Giang", "htx-nuoc-mam-phu-quoc"),
    ]:
        assert (province, slug) in by_place


def test_seed_demo_finds_every_apps_demo_module():
    # seed_demo imports `<app>.demo` by name; a module moved elsewhere would silently seed nothing
    # (the demo market lost its cooperatives once when market/demo.py moved into a subpackage).
    import importlib

    from market.cooperatives import demo as cooperatives_demo

    found = {
        app: importlib.import_module(f"{app}.demo").seed for app in ("market", "catalog", "orders")
    }

    assert found["market"] is cooperatives_demo.seed
    assert all(callable(seed) for seed in found.values())
