"""Permission matrix for every cooperative and verification endpoint, over the five actors.

For each denial the test also asserts that nothing changed in the database."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from market.models import (
    Cooperative,
    CooperativeDocument,
    Invitation,
    Membership,
    OutboxEvent,
    VerificationEvent,
)
from tests.conftest import client_for
from tests.factories import market as f

pytestmark = pytest.mark.django_db
ACTORS = ["anonymous", "buyer", "staff", "other_staff", "admin"]
API = "/api/v1"


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()


def world():
    """Everything an endpoint could change, in comparable form."""
    return (
        list(
            Cooperative.objects.order_by("pk").values_list(
                "pk", "status", "status_reason", "legal_name", "address", "logo"
            )
        ),
        list(
            Membership.objects.order_by("pk").values_list("pk", "user_id", "cooperative_id", "role")
        ),
        list(CooperativeDocument.objects.order_by("pk").values_list("pk", "cooperative_id")),
        list(
            Invitation.objects.order_by("pk").values_list(
                "pk", "email", "role", "accepted_at", "revoked_at"
            )
        ),
        VerificationEvent.objects.count(),
        OutboxEvent.objects.count(),
    )


def _status(coop, status):
    Cooperative.objects.filter(pk=coop.pk).update(status=status)
    coop.refresh_from_db()
    return coop


def _invitation(a):
    return Invitation.objects.create(
        cooperative=a["coop"],
        email="moi@htx.vn",
        role="STAFF",
        token_hash="0" * 64,
        invited_by=a["staff"],
        expires_at=timezone.now() + timedelta(days=7),
    )


def _doc(coop):
    return f.CooperativeDocumentFactory(cooperative=coop)


# name: (request builder(actors) -> (method, url, data, format), expected status per actor)
ENDPOINTS = {
    "directory": (lambda a: ("get", "/cooperatives/", None, None), dict.fromkeys(ACTORS, 200)),
    "create": (
        lambda a: (
            "post",
            "/cooperatives/",
            {
                "legal_name": "HTX Chè Shan Tuyết",
                "registration_number": "0807000999",
                "tax_code": "0100109106",
                "province": "Hà Giang",
            },
            "json",
        ),
        {"anonymous": 401, "buyer": 201, "staff": 201, "other_staff": 201, "admin": 201},
    ),
    "detail_verified": (
        lambda a: ("get", f"/cooperatives/{a['coop'].pk}/", None, None),
        dict.fromkeys(ACTORS, 200),
    ),
    "detail_draft": (
        lambda a: ("get", f"/cooperatives/{_status(a['coop'], 'DRAFT').pk}/", None, None),
        {"anonymous": 404, "buyer": 404, "staff": 200, "other_staff": 404, "admin": 200},
    ),
    "update": (
        lambda a: ("patch", f"/cooperatives/{a['coop'].pk}/", {"address": "Thôn Nà Lầu"}, "json"),
        {"anonymous": 401, "buyer": 404, "staff": 200, "other_staff": 404, "admin": 403},
    ),
    "my_cooperatives": (
        lambda a: ("get", "/me/cooperatives/", None, None),
        {"anonymous": 401, "buyer": 200, "staff": 200, "other_staff": 200, "admin": 200},
    ),
    "members_list": (
        lambda a: ("get", f"/cooperatives/{a['coop'].pk}/members/", None, None),
        {"anonymous": 401, "buyer": 404, "staff": 200, "other_staff": 404, "admin": 200},
    ),
    "members_add": (
        lambda a: (
            "post",
            f"/cooperatives/{a['coop'].pk}/members/",
            {"email": f.UserFactory(email="thu.kho@htx.vn").email, "role": "STAFF"},
            "json",
        ),
        {"anonymous": 401, "buyer": 404, "staff": 202, "other_staff": 404, "admin": 403},
    ),
    "invitations_list": (
        lambda a: ("get", f"/cooperatives/{a['coop'].pk}/invitations/", None, None),
        {"anonymous": 401, "buyer": 404, "staff": 200, "other_staff": 404, "admin": 403},
    ),
    "invitations_revoke": (
        lambda a: (
            "delete",
            f"/cooperatives/{a['coop'].pk}/invitations/{_invitation(a).pk}/",
            None,
            None,
        ),
        {"anonymous": 401, "buyer": 404, "staff": 204, "other_staff": 404, "admin": 403},
    ),
    "members_remove": (
        lambda a: (
            "delete",
            f"/cooperatives/{a['coop'].pk}/members/"
            f"{f.MembershipFactory(cooperative=a['coop'], role='STAFF').user_id}/",
            None,
            None,
        ),
        {"anonymous": 401, "buyer": 404, "staff": 204, "other_staff": 404, "admin": 403},
    ),
    "documents_list": (
        lambda a: ("get", f"/cooperatives/{a['coop'].pk}/documents/", None, None),
        {"anonymous": 401, "buyer": 404, "staff": 200, "other_staff": 404, "admin": 200},
    ),
    "documents_upload": (
        lambda a: (
            "post",
            f"/cooperatives/{a['coop'].pk}/documents/",
            {"kind": "CERTIFICATION", "file": f.upload("vietgap.pdf")},
            "multipart",
        ),
        {"anonymous": 401, "buyer": 404, "staff": 201, "other_staff": 404, "admin": 403},
    ),
    "document_download": (
        lambda a: (
            "get",
            f"/cooperatives/{a['coop'].pk}/documents/{_doc(a['coop']).pk}/download/",
            None,
            None,
        ),
        {"anonymous": 404, "buyer": 404, "staff": 200, "other_staff": 404, "admin": 200},
    ),
    "logo": (
        lambda a: (
            "put",
            f"/cooperatives/{a['coop'].pk}/logo/",
            {"file": f.upload("logo.png", f.image_bytes(), "image/png")},
            "multipart",
        ),
        {"anonymous": 401, "buyer": 404, "staff": 200, "other_staff": 404, "admin": 403},
    ),
    "submit": (
        lambda a: (
            _doc(_status(a["coop"], "DRAFT")) and "post",
            f"/cooperatives/{a['coop'].pk}/submit/",
            None,
            None,
        ),
        {"anonymous": 401, "buyer": 404, "staff": 200, "other_staff": 404, "admin": 403},
    ),
    "history": (
        lambda a: ("get", f"/cooperatives/{a['coop'].pk}/verification-events/", None, None),
        {"anonymous": 401, "buyer": 404, "staff": 200, "other_staff": 404, "admin": 200},
    ),
    "verify": (
        lambda a: (
            "post",
            f"/cooperatives/{_status(a['coop'], 'SUBMITTED').pk}/verify/",
            None,
            None,
        ),
        {"anonymous": 401, "buyer": 403, "staff": 403, "other_staff": 403, "admin": 200},
    ),
    "reject": (
        lambda a: (
            "post",
            f"/cooperatives/{_status(a['coop'], 'SUBMITTED').pk}/reject/",
            {"reason": "Ảnh giấy phép bị mờ"},
            "json",
        ),
        {"anonymous": 401, "buyer": 403, "staff": 403, "other_staff": 403, "admin": 200},
    ),
    "suspend": (
        lambda a: (
            "post",
            f"/cooperatives/{a['coop'].pk}/suspend/",
            {"reason": "Khiếu nại"},
            "json",
        ),
        {"anonymous": 401, "buyer": 403, "staff": 403, "other_staff": 403, "admin": 200},
    ),
    "reinstate": (
        lambda a: (
            "post",
            f"/cooperatives/{_status(a['coop'], 'SUSPENDED').pk}/reinstate/",
            {},
            "json",
        ),
        {"anonymous": 401, "buyer": 403, "staff": 403, "other_staff": 403, "admin": 200},
    ),
    "queue": (
        lambda a: ("get", "/admin/verification-queue/", None, None),
        {"anonymous": 401, "buyer": 403, "staff": 403, "other_staff": 403, "admin": 200},
    ),
    "export_csv": (
        lambda a: ("get", "/cooperatives/export.csv", None, None),
        dict.fromkeys(ACTORS, 200),
    ),
    "export_json": (
        lambda a: ("get", "/cooperatives/export.json", None, None),
        dict.fromkeys(ACTORS, 200),
    ),
}
READ_ONLY = {
    "directory",
    "detail_verified",
    "detail_draft",
    "my_cooperatives",
    "members_list",
    "invitations_list",
    "documents_list",
    "document_download",
    "history",
    "queue",
    "export_csv",
    "export_json",
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_permission_matrix(endpoint, actor, actors):
    build, expected = ENDPOINTS[endpoint]
    method, path, data, fmt = build(actors)
    before = world()

    response = getattr(client_for(actors[actor]), method)(API + path, data, format=fmt)

    assert response.status_code == expected[actor], getattr(response, "data", response)
    if response.status_code >= 400 or endpoint in READ_ONLY:
        assert world() == before
    else:
        assert world() != before
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"code", "message", "fields"}
        if response.status_code == 404:
            assert body["code"] == "not_found"


def test_my_cooperatives_lists_only_mine(actors):
    draft = f.MembershipFactory(user=actors["staff"], cooperative__status="DRAFT").cooperative

    response = client_for(actors["staff"]).get(f"{API}/me/cooperatives/")

    assert [(c["id"], c["status"]) for c in response.json()] == [
        (actors["coop"].pk, "VERIFIED"),
        (draft.pk, "DRAFT"),
    ]


def test_create_returns_private_profile_and_owner(actors):
    buyer = actors["buyer"]

    response = client_for(buyer).post(
        f"{API}/cooperatives/",
        {
            "legal_name": "Hợp tác xã Vải thiều Thanh Hà",
            "registration_number": "0407000001",
            "tax_code": "0100109106-001",
            "province": "Hải Dương",
            "sector": "CROPS",
            "year_founded": 2001,
        },
        format="json",
    )

    body = response.json()
    assert response.status_code == 201
    assert (body["status"], body["tax_code"], body["province"]["name"]) == (
        "DRAFT",
        "0100109106001",
        "Thành phố Hải Phòng",
    )
    assert Membership.objects.get(cooperative_id=body["id"]).user == buyer


@pytest.mark.parametrize(
    "payload, status, code, field",
    [
        ({"tax_code": "0100109107"}, 400, "validation_failed", "tax_code"),
        ({"province": "Narnia"}, 400, "validation_failed", "province"),
        (
            {"registration_number": "DUP"},
            409,
            "duplicate_registration_number",
            "registration_number",
        ),
    ],
)
def test_create_bad_input_specific_error_and_nothing_created(payload, status, code, field, actors):
    f.CooperativeFactory(registration_number="DUP")
    data = {
        "legal_name": "HTX X",
        "registration_number": "0107000002",
        "tax_code": "0100109106",
        "province": "Hà Nội",
        **payload,
    }
    before = world()

    response = client_for(actors["buyer"]).post(f"{API}/cooperatives/", data, format="json")

    assert response.status_code == status
    assert response.json()["code"] == code
    assert list(response.json()["fields"]) == [field]
    assert world() == before


def test_upload_refuses_disguised_file(actors):
    before = world()

    response = client_for(actors["staff"]).post(
        f"{API}/cooperatives/{actors['coop'].pk}/documents/",
        {
            "kind": "BUSINESS_REGISTRATION",
            "file": f.upload("giay-phep.pdf", b"<html>not a pdf</html>"),
        },
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_file_type"
    assert world() == before


def test_download_streams_private_file_without_media_url(actors, settings):
    doc = _doc(actors["coop"])

    listing = client_for(actors["staff"]).get(f"{API}/cooperatives/{actors['coop'].pk}/documents/")
    response = client_for(actors["admin"]).get(listing.json()[0]["download_url"])

    assert (
        listing.json()[0]["download_url"]
        == f"{API}/cooperatives/{actors['coop'].pk}/documents/{doc.pk}/download/"
    )
    assert settings.MEDIA_URL not in listing.content.decode()
    assert b"".join(response.streaming_content) == f.PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == 'attachment; filename="giay-dang-ky.pdf"'


def test_document_not_reachable_under_media_url(actors, rf, settings):
    # The test settings never route /media/ (DEBUG is off), so asking the client for /media/...
    # would answer 404 even for a public file: check where the upload really lands instead, and
    # what the development static view (the one market/urls.py mounts on MEDIA_URL) would serve.
    from pathlib import Path

    from django.core.files.storage import storages
    from django.http import Http404
    from django.views.static import serve

    client_for(actors["staff"]).post(
        f"{API}/cooperatives/{actors['coop'].pk}/documents/",
        {"kind": "BUSINESS_REGISTRATION", "file": f.upload()},
        format="multipart",
    )
    doc = CooperativeDocument.objects.get(cooperative=actors["coop"])
    stored = Path(storages["private"].path(doc.file.name))
    media_root = Path(settings.MEDIA_ROOT)

    assert stored.read_bytes() == f.PDF_BYTES
    assert not stored.is_relative_to(media_root)
    assert not any(p.is_file() and p.read_bytes() == f.PDF_BYTES for p in media_root.rglob("*"))
    with pytest.raises(Http404):
        serve(rf.get(f"/media/{doc.file.name}"), doc.file.name, document_root=media_root)


def test_document_of_other_coop_is_404_even_with_right_document_id(actors):
    doc = _doc(actors["other_coop"])

    response = client_for(actors["staff"]).get(
        f"{API}/cooperatives/{actors['coop'].pk}/documents/{doc.pk}/download/"
    )

    assert response.status_code == 404


def test_reject_without_reason_is_400_and_changes_nothing(actors):
    _status(actors["coop"], "SUBMITTED")
    before = world()

    response = client_for(actors["admin"]).post(
        f"{API}/cooperatives/{actors['coop'].pk}/reject/", {"reason": " "}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "reason_required"
    assert world() == before


def test_verify_of_draft_is_409(actors):
    _status(actors["coop"], "DRAFT")
    before = world()

    response = client_for(actors["admin"]).post(f"{API}/cooperatives/{actors['coop'].pk}/verify/")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert world() == before


def test_submit_without_registration_document_is_422(actors):
    _status(actors["coop"], "DRAFT")
    before = world()

    response = client_for(actors["staff"]).post(f"{API}/cooperatives/{actors['coop'].pk}/submit/")

    assert response.status_code == 422
    assert response.json()["code"] == "missing_documents"
    assert world() == before


def test_queue_is_oldest_first_with_document_links(actors):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    newer = f.CooperativeFactory(status="SUBMITTED", submitted_at=now)
    older = f.CooperativeFactory(status="SUBMITTED", submitted_at=now - timedelta(days=3))
    doc = _doc(older)

    body = client_for(actors["admin"]).get(f"{API}/admin/verification-queue/").json()

    assert [c["id"] for c in body["results"]] == [older.pk, newer.pk]
    assert body["results"][0]["documents"][0]["download_url"].endswith(
        f"/documents/{doc.pk}/download/"
    )


def test_history_shows_reason_to_the_cooperative(actors):
    _status(actors["coop"], "SUBMITTED")
    client_for(actors["admin"]).post(
        f"{API}/cooperatives/{actors['coop'].pk}/reject/", {"reason": "Thiếu dấu"}, format="json"
    )

    events = (
        client_for(actors["staff"])
        .get(f"{API}/cooperatives/{actors['coop'].pk}/verification-events/")
        .json()
    )

    assert [(e["from_status"], e["to_status"], e["reason"], e["actor"]) for e in events] == [
        ("SUBMITTED", "REJECTED", "Thiếu dấu", "platform")
    ]


INVITE_BODY = {
    "detail": "Nếu địa chỉ này nhận được thư, lời mời đang được gửi tới."
}  # Vietnamese by default


def test_member_add_sends_invitations_with_the_same_answer_for_any_address(
    actors, mailoutbox, django_capture_on_commit_callbacks
):
    f.UserFactory(email="co.tai.khoan@htx.vn", full_name="Trần Văn Có")
    client = client_for(actors["staff"])
    url = f"{API}/cooperatives/{actors['coop'].pk}/members/"
    members_before = list(Membership.objects.order_by("pk").values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(url, {"email": "co.tai.khoan@htx.vn", "role": "STAFF"}, format="json")
        unknown = client.post(url, {"email": "khong.co@htx.vn", "role": "STAFF"}, format="json")
    listed = client.get(f"{API}/cooperatives/{actors['coop'].pk}/invitations/").json()

    assert (
        (known.status_code, known.json())
        == (unknown.status_code, unknown.json())
        == (202, INVITE_BODY)
    )
    assert "Trần" not in known.content.decode()
    assert list(Membership.objects.order_by("pk").values_list("pk", flat=True)) == members_before
    assert sorted(m.to[0] for m in mailoutbox) == ["co.tai.khoan@htx.vn", "khong.co@htx.vn"]
    assert [(i["email"], i["role"]) for i in listed] == [
        ("co.tai.khoan@htx.vn", "STAFF"),
        ("khong.co@htx.vn", "STAFF"),
    ]
    assert set(listed[0]) == {"id", "email", "role", "created_at", "expires_at"}


def test_invitation_accept_api(actors, mailoutbox, django_capture_on_commit_callbacks):
    import re

    invitee = f.UserFactory(email="moi@htx.vn")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(actors["staff"]).post(
            f"{API}/cooperatives/{actors['coop'].pk}/members/",
            {"email": "moi@htx.vn", "role": "MANAGER"},
            format="json",
        )
    token = re.search(r"/invitations/([A-Za-z0-9_-]+)/", mailoutbox[0].body).group(1)
    before = world()

    wrong = client_for(actors["buyer"]).post(
        f"{API}/invitations/accept/", {"token": token}, format="json"
    )
    anonymous = client_for(None).post(f"{API}/invitations/accept/", {"token": token}, format="json")
    unchanged = world() == before
    accepted = client_for(invitee).post(
        f"{API}/invitations/accept/", {"token": token}, format="json"
    )
    again = client_for(invitee).post(f"{API}/invitations/accept/", {"token": token}, format="json")

    assert (wrong.status_code, wrong.json()["code"]) == (403, "invitation_email_mismatch")
    assert anonymous.status_code == 401
    assert unchanged
    assert (accepted.status_code, accepted.json()) == (
        201,
        {"cooperative_id": actors["coop"].pk, "role": "MANAGER"},
    )
    assert (again.status_code, again.json()["code"]) == (400, "invalid_invitation")
    assert Membership.objects.get(user=invitee).role == "MANAGER"
