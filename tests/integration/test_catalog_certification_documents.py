"""Certificate scans are private: stored outside MEDIA_ROOT, downloadable only by the owning
cooperative's staff and platform admins (everyone else 404), validated by content."""

import datetime
import importlib
import io
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from catalog import services
from catalog.errors import CertificationInvalid
from catalog.models import Certification
from tests.conftest import client_for
from tests.factories.catalog import CertificationFactory, jpeg_bytes

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def _claim(actors, document=PDF):
    return services.certification_claim(
        actor=actors["staff"],
        cooperative_id=actors["coop"].pk,
        kind="VIETGAP",
        issuer="QUACERT",
        number="VG-0001",
        valid_from=datetime.date(2025, 1, 1),
        document=document,
    )


def _files(root) -> list[Path]:
    root = Path(root)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _url(cert) -> str:
    return reverse("catalog:certification-document", args=[cert.pk])


@pytest.mark.parametrize("who", ["anonymous", "buyer", "other_staff"])
def test_outsiders_get_404_and_no_bytes(actors, who):
    cert = _claim(actors)

    response = client_for(actors[who]).get(_url(cert))

    assert response.status_code == 404
    assert PDF not in b"".join(getattr(response, "streaming_content", [response.content]))


@pytest.mark.parametrize("who", ["staff", "admin"])
def test_own_staff_and_admins_get_the_bytes(actors, who):
    cert = _claim(actors)

    response = client_for(actors[who]).get(_url(cert))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def test_the_file_is_in_private_storage_and_not_under_media_root(actors, settings):
    cert = _claim(actors)

    media_files = _files(settings.MEDIA_ROOT)
    public = Client().get(f"{settings.MEDIA_URL}{cert.document.name}")

    assert media_files == []
    assert storages["private"].exists(cert.document.name)
    assert Path(storages["private"].path(cert.document.name)).read_bytes() == PDF
    assert public.status_code == 404


def test_a_missing_file_is_404_not_500(actors):
    cert = _claim(actors)
    storages["private"].delete(cert.document.name)

    response = client_for(actors["staff"]).get(_url(cert))

    assert response.status_code == 404


def test_a_certification_without_a_document_is_404(actors):
    cert = CertificationFactory(cooperative=actors["coop"])

    response = client_for(actors["admin"]).get(_url(cert))

    assert response.status_code == 404


@pytest.mark.parametrize(
    "data, message",
    [
        (b"<html>not a certificate</html>", "Chỉ chấp nhận tệp PDF, JPEG hoặc PNG."),
        (b"\xff\xd8\xff" + b"not really a jpeg" * 10, "Chỉ chấp nhận tệp PDF, JPEG hoặc PNG."),
        (b"", "Tệp rỗng."),
    ],
)
def test_a_non_pdf_or_image_upload_is_rejected_and_nothing_stored(actors, settings, data, message):
    api = client_for(actors["staff"])

    response = api.post(
        f"/api/v1/cooperatives/{actors['coop'].pk}/certifications/",
        {
            "kind": "VIETGAP",
            "issuer": "QUACERT",
            "number": "VG-1",
            "valid_from": "2025-01-01",
            "document": SimpleUploadedFile("scan.pdf", data, content_type="application/pdf"),
        },
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "certification_invalid"
    assert response.json()["fields"]["document"] == message  # Vietnamese first (LANGUAGE_CODE vi)
    assert Certification.objects.count() == 0
    assert _files(settings.MEDIA_ROOT) == [] and _files(settings.PRIVATE_MEDIA_ROOT) == []


def test_webp_is_no_longer_accepted(actors, settings):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "WEBP")

    with pytest.raises(CertificationInvalid) as exc:
        _claim(actors, document=out.getvalue())

    assert exc.value.fields["document"] == "Chỉ chấp nhận tệp PDF, JPEG hoặc PNG."
    assert Certification.objects.count() == 0
    assert _files(settings.PRIVATE_MEDIA_ROOT) == []


def test_a_file_over_10_mb_is_rejected(actors, settings):
    big = PDF + b"0" * (10 * 1024 * 1024)

    with pytest.raises(CertificationInvalid) as exc:
        _claim(actors, document=big)

    assert exc.value.fields["document"] == "Tệp lớn hơn 10 MB."
    assert Certification.objects.count() == 0
    assert _files(settings.PRIVATE_MEDIA_ROOT) == []


def test_a_jpeg_is_stored_with_a_random_name_and_served_as_jpeg(actors):
    cert = _claim(actors, document=jpeg_bytes())

    response = client_for(actors["staff"]).get(_url(cert))

    assert cert.document.name.startswith(f"certifications/{actors['coop'].pk}/")
    assert cert.document.name.endswith(".jpg")
    assert response["Content-Type"] == "image/jpeg"


def test_api_output_gives_the_authorised_url_not_a_media_url(actors):
    cert = _claim(actors)

    rows = (
        client_for(actors["staff"])
        .get(f"/api/v1/cooperatives/{actors['coop'].pk}/certifications/")
        .json()
    )

    assert [r["document_url"] for r in rows] == [f"/api/v1/certifications/{cert.pk}/document/"]
    assert "/media/" not in str(rows)


def test_staff_certifications_page_links_the_authorised_view(actors):
    cert = _claim(actors)
    c = Client()
    c.force_login(actors["admin"])

    html = c.get(reverse("frontend:staff_certifications")).content.decode()

    assert f'href="/api/v1/certifications/{cert.pk}/document/"' in html
    assert "/media/" not in html


def test_django_admin_links_the_authorised_view(actors):
    cert = _claim(actors)
    actors["admin"].is_superuser = True
    actors["admin"].save()
    c = Client()
    c.force_login(actors["admin"])

    html = c.get(f"/admin/catalog/certification/{cert.pk}/change/").content.decode()

    assert f'href="/api/v1/certifications/{cert.pk}/document/"' in html
    assert "/media/" not in html


def test_migration_moves_existing_public_files_into_private_storage(actors, settings):
    cert = CertificationFactory(cooperative=actors["coop"])
    old_name = default_storage.save("certifications/2025/01/1-vietgap.pdf", ContentFile(PDF))
    Certification.objects.filter(pk=cert.pk).update(document=old_name)
    migration = importlib.import_module("catalog.migrations.0006_certification_document_private")

    migration.move_to_private(django_apps, None)
    migration.move_to_private(django_apps, None)  # safe to re-run
    cert.refresh_from_db()

    assert cert.document.name == old_name
    assert _files(settings.MEDIA_ROOT) == []
    assert Path(storages["private"].path(old_name)).read_bytes() == PDF
