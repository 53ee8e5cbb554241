"""Certifications: claim with a document, admin check, expiry (hidden + one e-mail)."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command

from catalog import services
from catalog.errors import CertificationAlreadyChecked, CertificationInvalid
from catalog.models import Certification, ProductEvent
from market.errors import NotFound, PermissionDenied
from market.models import OutboxEvent
from tests.conftest import client_for
from tests.factories.catalog import CertificationFactory, ProductFactory, jpeg_bytes

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _claim(actors, **over):
    kw = {
        "kind": "OCOP",
        "ocop_stars": 4,
        "issuer": "UBND tỉnh Thái Nguyên",
        "number": "OCOP-2025-118",
        "valid_from": datetime.date(2025, 3, 1),
        "valid_until": datetime.date(2028, 3, 1),
        "document": PDF,
    }
    return services.certification_claim(
        actor=actors["staff"], cooperative_id=actors["coop"].pk, **{**kw, **over}
    )


def test_a_claim_is_stored_but_not_shown_until_an_admin_verifies_it(actors):
    product = ProductFactory(cooperative=actors["coop"])
    today = datetime.date(2026, 1, 1)

    cert = _claim(actors, product_ids=[product.pk])
    shown_before = cert.is_shown(today)
    services.certification_check(actor=actors["admin"], certification_id=cert.pk, verified=True)
    cert.refresh_from_db()

    assert shown_before is False
    assert (cert.status, cert.checked_by, cert.is_shown(today)) == (
        "VERIFIED",
        actors["admin"],
        True,
    )
    assert list(ProductEvent.objects.filter(product=product).values_list("action", flat=True)) == [
        "certification_claimed",
        "certification_verified",
    ]
    assert OutboxEvent.objects.filter(entity_id=product.pk).count() == 2


@pytest.mark.parametrize(
    "over, field",
    [
        ({"ocop_stars": None}, "ocop_stars"),
        ({"ocop_stars": 6}, "ocop_stars"),
        ({"kind": "VIETGAP", "ocop_stars": 3}, "ocop_stars"),
        ({"kind": "MAGIC", "ocop_stars": None}, "kind"),
        ({"valid_until": datetime.date(2024, 1, 1)}, "valid_until"),
        ({"document": b"<html>not a certificate</html>"}, "document"),
        ({"issuer": " "}, "issuer"),
    ],
)
def test_bad_claims_are_rejected_and_nothing_is_stored(actors, over, field):
    with pytest.raises(CertificationInvalid) as exc:
        _claim(actors, **over)

    assert field in exc.value.fields
    assert Certification.objects.count() == 0


def test_a_scan_as_jpeg_is_accepted_and_other_coops_products_are_not(actors):
    foreign = ProductFactory(cooperative=actors["other_coop"])

    cert = _claim(actors, document=jpeg_bytes())
    with pytest.raises(NotFound):
        _claim(actors, product_ids=[foreign.pk])

    assert cert.document.name.endswith(".jpg")
    assert Certification.objects.count() == 1


def test_only_admins_check_and_only_once(actors):
    cert = _claim(actors)

    with pytest.raises(PermissionDenied):
        services.certification_check(actor=actors["staff"], certification_id=cert.pk, verified=True)
    services.certification_check(actor=actors["admin"], certification_id=cert.pk, verified=False)
    with pytest.raises(CertificationAlreadyChecked):
        services.certification_check(actor=actors["admin"], certification_id=cert.pk, verified=True)

    cert.refresh_from_db()
    assert cert.status == "REJECTED"


def test_expired_certifications_stop_showing_and_the_cooperative_is_told_once(
    actors, django_capture_on_commit_callbacks
):
    coop = actors["coop"]
    coop.email = "lienhe@htx.vn"
    coop.save()
    product = ProductFactory(cooperative=coop)
    expired = CertificationFactory(
        cooperative=coop, status="VERIFIED", valid_until=datetime.date(2026, 1, 31)
    )
    expired.families.add(product.family)
    CertificationFactory(
        cooperative=coop, status="VERIFIED", valid_until=datetime.date(2026, 12, 31)
    )
    CertificationFactory(
        cooperative=coop, status="CLAIMED", valid_until=datetime.date(2025, 12, 31)
    )
    today = datetime.date(2026, 2, 1)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("certifications_expire", "--today", today.isoformat())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("certifications_expire", "--today", today.isoformat())

    expired.refresh_from_db()
    assert expired.is_shown(today) is False and expired.expiry_notified_at is not None
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == sorted(["lienhe@htx.vn", actors["staff"].email])
    assert mail.outbox[0].subject == f"Chứng nhận VietGAP số {expired.number} đã hết hạn"
    # (the outbox rows themselves may already be drained by search's on-commit receiver)
    assert ProductEvent.objects.filter(product=product, action="certification_expired").count() == 1


def test_claim_and_check_over_the_api(actors):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = f"/api/v1/cooperatives/{actors['coop'].pk}/certifications/"
    body = {
        "kind": "VIETGAP",
        "issuer": "QUACERT",
        "number": "VG-1",
        "valid_from": "2025-01-01",
        "document": SimpleUploadedFile("c.pdf", PDF),
    }

    made = client_for(actors["staff"]).post(url, body, format="multipart")
    by_staff = client_for(actors["staff"]).post(
        f"/api/v1/certifications/{made.json()['id']}/check/", {"decision": "verify"}, format="json"
    )
    by_admin = client_for(actors["admin"]).post(
        f"/api/v1/certifications/{made.json()['id']}/check/", {"decision": "verify"}, format="json"
    )
    listed = client_for(actors["staff"]).get(url)

    assert made.status_code == 201 and made.json()["is_shown"] is False
    assert by_staff.status_code == 403
    assert by_admin.status_code == 200 and by_admin.json()["status"] == "VERIFIED"
    assert listed.json()[0]["is_shown"] is True
