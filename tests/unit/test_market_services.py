import itertools

import pytest

from market.cooperatives import services
from market.errors import (
    Conflict,
    InvalidTransition,
    MissingDocuments,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from market.models import (
    Cooperative,
    CooperativeDocument,
    Membership,
    OutboxEvent,
    VerificationEvent,
)
from tests.factories import market as f

pytestmark = pytest.mark.django_db
Status = Cooperative.Status


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def coop_data(**extra):
    data = {
        "legal_name": "Hợp tác xã Cà phê Cư M'gar",
        "registration_number": "4007000123",
        "tax_code": "0100109106",
        "province": "Đắk Lắk",
        "sector": "CROPS",
        "phone": "+84 912 345 678",
        "year_founded": 2012,
        "bank_bin": "970405",
    }
    data.update(extra)
    return data


def snapshot(coop):
    coop.refresh_from_db()
    return (
        coop.status,
        coop.status_reason,
        coop.legal_name,
        coop.tax_code,
        VerificationEvent.objects.count(),
        OutboxEvent.objects.count(),
        Membership.objects.count(),
        CooperativeDocument.objects.count(),
    )


# --- create / update -------------------------------------------------------------------------


def test_create_makes_draft_with_creator_as_owner():
    user = f.UserFactory()

    coop = services.cooperative_create(actor=user, data=coop_data())

    assert coop.status == Status.DRAFT
    assert coop.province_id == 66  # Đắk Lắk
    assert coop.phone == "0912345678"
    assert coop.slug == "hop-tac-xa-ca-phe-cu-mgar"
    assert coop.is_agricultural is True
    assert list(coop.memberships.values_list("user_id", "role")) == [(user.pk, "OWNER")]


def test_create_accepts_former_province_name():
    coop = services.cooperative_create(actor=f.UserFactory(), data=coop_data(province="Bắc Giang"))

    assert coop.province_id == 24  # Bắc Ninh since 2025


@pytest.mark.parametrize(
    "bad, code_field",
    [
        ({"tax_code": "0100109107"}, "tax_code"),
        ({"province": "Atlantis"}, "province"),
        ({"phone": "123"}, "phone"),
        ({"year_founded": 1800}, "year_founded"),
        ({"bank_bin": "97"}, "bank_bin"),
        ({"legal_name": ""}, "legal_name"),
        ({"status": "VERIFIED"}, "status"),
    ],
)
def test_create_rejects_bad_input_and_creates_nothing(bad, code_field):
    with pytest.raises(ValidationFailed) as exc:
        services.cooperative_create(actor=f.UserFactory(), data=coop_data(**bad))

    assert code_field in exc.value.fields
    assert Cooperative.objects.count() == 0
    assert Membership.objects.count() == 0


def test_create_rejects_ward_of_another_province():
    from market.models import Ward

    ward = Ward.objects.filter(province_id=20).first()

    with pytest.raises(ValidationFailed) as exc:
        services.cooperative_create(actor=f.UserFactory(), data=coop_data(ward=ward.code))

    assert exc.value.fields == {"ward": [str(exc.value.fields["ward"][0])]}
    assert exc.value.code == "validation_failed"
    assert Cooperative.objects.count() == 0


@pytest.mark.parametrize("field", ["registration_number", "tax_code"])
def test_create_duplicate_identity_is_conflict(field):
    existing = f.CooperativeFactory()

    with pytest.raises(Conflict) as exc:
        services.cooperative_create(
            actor=f.UserFactory(), data=coop_data(**{field: getattr(existing, field)})
        )

    assert exc.value.code == f"duplicate_{field}"
    assert Cooperative.objects.count() == 1


def test_update_by_owner_of_verified_coop_records_outbox_row():
    owner = f.MembershipFactory(cooperative__verified=True, role="OWNER")

    services.cooperative_update(
        actor=owner.user,
        cooperative_id=owner.cooperative_id,
        data={"trading_name": "Cà phê Ea Tul"},
    )

    assert Cooperative.objects.get().trading_name == "Cà phê Ea Tul"
    assert list(OutboxEvent.objects.values_list("entity", "entity_id")) == [
        ("cooperative", owner.cooperative_id)
    ]


def test_update_of_draft_records_no_outbox_row():
    owner = f.MembershipFactory(role="MANAGER")

    services.cooperative_update(
        actor=owner.user, cooperative_id=owner.cooperative_id, data={"address": "Thôn 3"}
    )

    assert Cooperative.objects.get().address == "Thôn 3"
    assert OutboxEvent.objects.count() == 0


@pytest.mark.parametrize(
    "who, error", [("staff", PermissionDenied), ("admin", PermissionDenied), ("stranger", NotFound)]
)
def test_update_refused_changes_nothing(who, error):
    coop = f.CooperativeFactory(verified=True)
    actor = {
        "staff": lambda: f.MembershipFactory(cooperative=coop, role="STAFF").user,
        "admin": lambda: f.UserFactory(platform_admin=True),
        "stranger": f.UserFactory,
    }[who]()
    before = snapshot(coop)

    with pytest.raises(error):
        services.cooperative_update(
            actor=actor, cooperative_id=coop.pk, data={"legal_name": "Khác"}
        )

    assert snapshot(coop) == before


def test_identity_frozen_after_submission():
    owner = f.MembershipFactory(cooperative__verified=True)
    before = snapshot(owner.cooperative)

    with pytest.raises(Conflict) as exc:
        services.cooperative_update(
            actor=owner.user, cooperative_id=owner.cooperative_id, data={"tax_code": "0100109106"}
        )

    assert exc.value.code == "identity_locked"
    assert snapshot(owner.cooperative) == before


# --- members ---------------------------------------------------------------------------------


def test_last_owner_cannot_be_removed():
    owner = f.MembershipFactory()

    with pytest.raises(Conflict) as exc:
        services.membership_remove(
            actor=owner.user, cooperative_id=owner.cooperative_id, user_id=owner.user_id
        )

    assert exc.value.code == "last_owner"
    assert Membership.objects.count() == 1


# --- documents ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, content_type",
    [
        (f.PDF_BYTES, "application/pdf"),
        (f.image_bytes(fmt="PNG"), "image/png"),
        (f.image_bytes(fmt="JPEG"), "image/jpeg"),
    ],
)
def test_document_type_comes_from_content(content, content_type, settings):
    owner = f.MembershipFactory()

    doc = services.cooperative_document_add(
        actor=owner.user,
        cooperative_id=owner.cooperative_id,
        kind="BUSINESS_REGISTRATION",
        file=f.upload("scan.bin", content),
    )

    assert doc.content_type == content_type
    assert doc.original_name == "scan.bin"
    stored = settings.PRIVATE_MEDIA_ROOT / doc.file.name
    assert stored.read_bytes() == content
    assert not str(stored).startswith(str(settings.MEDIA_ROOT))


@pytest.mark.parametrize(
    "upload, code",
    [
        (lambda: f.upload("virus.pdf", b"MZ\x90\x00 not a pdf"), "unsupported_file_type"),
        (lambda: f.upload("empty.pdf", b""), "empty_file"),
        (
            lambda: f.upload("scan.png", f.PNG_BYTES, "image/png"),
            "unsupported_file_type",
        ),  # signature, no image
        (lambda: f.upload("big.pdf", f.PDF_BYTES + b"0" * (10 * 1024 * 1024)), "file_too_large"),
    ],
)
def test_bad_documents_refused_and_nothing_stored(upload, code, settings):
    owner = f.MembershipFactory()

    with pytest.raises(ValidationFailed) as exc:
        services.cooperative_document_add(
            actor=owner.user,
            cooperative_id=owner.cooperative_id,
            kind="BUSINESS_REGISTRATION",
            file=upload(),
        )

    assert exc.value.code == code
    assert CooperativeDocument.objects.count() == 0
    assert not (settings.PRIVATE_MEDIA_ROOT / "coop-docs").exists()


def test_document_of_exactly_10_mb_is_accepted():
    owner = f.MembershipFactory()
    content = f.PDF_BYTES + b"0" * (10 * 1024 * 1024 - len(f.PDF_BYTES))

    doc = services.cooperative_document_add(
        actor=owner.user,
        cooperative_id=owner.cooperative_id,
        kind="CERTIFICATION",
        file=f.upload("vietgap.pdf", content),
    )

    assert doc.size == 10 * 1024 * 1024


# --- verification ------------------------------------------------------------------------------

MOVES = {
    Status.SUBMITTED: lambda actor, coop: services.cooperative_submit(
        actor=actor, cooperative_id=coop.pk
    ),
    Status.VERIFIED: lambda actor, coop: (
        services.cooperative_reinstate(actor=actor, cooperative_id=coop.pk)
        if coop.status == Status.SUSPENDED
        else services.cooperative_verify(actor=actor, cooperative_id=coop.pk)
    ),
    Status.REJECTED: lambda actor, coop: services.cooperative_reject(
        actor=actor, cooperative_id=coop.pk, reason="Giấy phép mờ"
    ),
    Status.SUSPENDED: lambda actor, coop: services.cooperative_suspend(
        actor=actor, cooperative_id=coop.pk, reason="Khiếu nại"
    ),
}


def coop_in(status):
    coop = f.CooperativeFactory(status=status)
    owner = f.MembershipFactory(cooperative=coop, role="OWNER").user
    f.CooperativeDocumentFactory(cooperative=coop)
    return coop, owner


@pytest.mark.parametrize("from_status, to_status", list(itertools.product(Status.values, MOVES)))
def test_every_transition_allowed_or_refused(
    from_status, to_status, django_capture_on_commit_callbacks
):
    coop, owner = coop_in(from_status)
    actor = owner if to_status == Status.SUBMITTED else f.UserFactory(platform_admin=True)
    allowed = to_status in Cooperative.ALLOWED_TRANSITIONS[from_status]
    if to_status == Status.VERIFIED and from_status == Status.SUSPENDED:
        allowed = True
    before = snapshot(coop)

    if allowed:
        MOVES[to_status](actor, coop)
    else:
        with pytest.raises(InvalidTransition):
            MOVES[to_status](actor, coop)

    coop.refresh_from_db()
    if allowed:
        assert coop.status == to_status
        event = VerificationEvent.objects.get()
        assert (event.actor, event.from_status, event.to_status) == (actor, from_status, to_status)
        assert list(OutboxEvent.objects.values_list("entity", "entity_id")) == [
            ("cooperative", coop.pk)
        ]
    else:
        assert snapshot(coop) == before


def test_reject_reason_is_stored_and_mailed_in_owner_language(
    mailoutbox, django_capture_on_commit_callbacks
):
    coop, owner = coop_in(Status.SUBMITTED)
    owner.language = "en"
    owner.save()
    admin = f.UserFactory(platform_admin=True)

    with django_capture_on_commit_callbacks(execute=True):
        services.cooperative_reject(
            actor=admin, cooperative_id=coop.pk, reason="Registration scan unreadable"
        )

    coop.refresh_from_db()
    assert (coop.status, coop.status_reason) == (Status.REJECTED, "Registration scan unreadable")
    assert VerificationEvent.objects.get().reason == "Registration scan unreadable"
    assert [m.to for m in mailoutbox] == [[owner.email]]
    assert "was not verified. Reason: Registration scan unreadable." in mailoutbox[0].body


def test_verify_mail_in_vietnamese_for_vietnamese_owner(
    mailoutbox, django_capture_on_commit_callbacks
):
    coop, owner = coop_in(Status.SUBMITTED)

    with django_capture_on_commit_callbacks(execute=True):
        services.cooperative_verify(
            actor=f.UserFactory(platform_admin=True), cooperative_id=coop.pk
        )

    assert len(mailoutbox) == 1
    assert "đã được xác minh" in mailoutbox[0].body


@pytest.mark.parametrize("service", [services.cooperative_reject, services.cooperative_suspend])
@pytest.mark.parametrize("reason", ["", "   "])
def test_reason_required(service, reason):
    coop, _owner = coop_in(
        Status.SUBMITTED if service is services.cooperative_reject else Status.VERIFIED
    )
    before = snapshot(coop)

    with pytest.raises(ValidationFailed) as exc:
        service(actor=f.UserFactory(platform_admin=True), cooperative_id=coop.pk, reason=reason)

    assert exc.value.code == "reason_required"
    assert snapshot(coop) == before


@pytest.mark.parametrize("who", ["owner", "buyer"])
def test_non_admin_cannot_verify(who):
    coop, owner = coop_in(Status.SUBMITTED)
    actor = owner if who == "owner" else f.UserFactory()
    before = snapshot(coop)

    with pytest.raises(PermissionDenied):
        services.cooperative_verify(actor=actor, cooperative_id=coop.pk)

    assert snapshot(coop) == before


def test_submit_needs_business_registration():
    coop = f.CooperativeFactory(status=Status.DRAFT)
    owner = f.MembershipFactory(cooperative=coop).user
    f.CooperativeDocumentFactory(cooperative=coop, kind="CERTIFICATION")
    before = snapshot(coop)

    with pytest.raises(MissingDocuments):
        services.cooperative_submit(actor=owner, cooperative_id=coop.pk)

    assert snapshot(coop) == before


def test_staff_role_cannot_submit():
    coop, _owner = coop_in(Status.DRAFT)
    staff = f.MembershipFactory(cooperative=coop, role="STAFF").user
    before = snapshot(coop)

    with pytest.raises(PermissionDenied):
        services.cooperative_submit(actor=staff, cooperative_id=coop.pk)

    assert snapshot(coop) == before


def test_resubmission_after_rejection_keeps_full_history():
    coop, owner = coop_in(Status.DRAFT)
    admin = f.UserFactory(platform_admin=True)

    services.cooperative_submit(actor=owner, cooperative_id=coop.pk)
    services.cooperative_reject(actor=admin, cooperative_id=coop.pk, reason="Thiếu con dấu")
    services.cooperative_submit(actor=owner, cooperative_id=coop.pk)
    services.cooperative_verify(actor=admin, cooperative_id=coop.pk)

    coop.refresh_from_db()
    assert coop.status == Status.VERIFIED
    assert coop.status_reason == ""
    assert list(VerificationEvent.objects.values_list("from_status", "to_status", "reason")) == [
        ("DRAFT", "SUBMITTED", ""),
        ("SUBMITTED", "REJECTED", "Thiếu con dấu"),
        ("REJECTED", "SUBMITTED", ""),
        ("SUBMITTED", "VERIFIED", ""),
    ]


# --- logo --------------------------------------------------------------------------------------


def test_logo_replaced_and_verified_coop_reindexed():
    owner = f.MembershipFactory(cooperative__verified=True)

    coop = services.cooperative_logo_set(
        actor=owner.user,
        cooperative_id=owner.cooperative_id,
        file=f.upload("logo.jpg", f.image_bytes(fmt="JPEG"), "image/jpeg"),
    )

    assert coop.logo.name.startswith(f"cooperatives/logos/{coop.slug}-")
    assert coop.logo.name.endswith(".jpg")
    assert list(OutboxEvent.objects.values_list("entity", "entity_id")) == [
        ("cooperative", coop.pk)
    ]


@pytest.mark.parametrize(
    "content, code",
    [
        (lambda: f.PDF_BYTES, "unsupported_file_type"),
        (lambda: f.PNG_BYTES, "invalid_image"),
        (lambda: f.image_bytes()[:40], "invalid_image"),
        (lambda: f.image_bytes(4097, 4096), "image_too_large"),
        (lambda: b"GIF89a" + b"\x00" * 32, "unsupported_file_type"),
    ],
)
def test_bad_logo_refused_and_nothing_changes(content, code):
    owner = f.MembershipFactory(cooperative__verified=True)  # drafts may not upload at all
    before = snapshot(owner.cooperative)

    with pytest.raises(ValidationFailed) as exc:
        services.cooperative_logo_set(
            actor=owner.user,
            cooperative_id=owner.cooperative_id,
            file=f.upload("logo.png", content(), "image/png"),
        )

    assert exc.value.code == code
    assert snapshot(owner.cooperative) == before
    assert not owner.cooperative.logo
