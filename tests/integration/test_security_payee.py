"""Security audit, finding 1: a MANAGER could redirect a verified cooperative's payments by
PATCHing its bank fields (200, still verified, no event, no mail, and the VietQR of an order
already placed showed the new account). Payee changes are now identity changes."""

import pytest

from market.cooperatives.payee import payee_name_matches
from market.models import Cooperative, Membership, PayeeChange, VerificationEvent
from tests.conftest import client_for
from tests.factories import market as f
from tests.factories.catalog import ProductFactory
from tests.factories.orders import place_order

pytestmark = pytest.mark.django_db
OLD = {"bank_bin": "970405", "bank_account": "8888123456789", "bank_account_name": "HTX SO 1"}
NEW = {"bank_bin": "970436", "bank_account": "0071000999999", "bank_account_name": "HTX SO 1"}


@pytest.fixture
def coop():
    coop = f.CooperativeFactory(verified=True, legal_name="Hợp tác xã Số 1", **OLD)
    f.MembershipFactory(cooperative=coop, role=Membership.Role.OWNER, user__email="o1@x.vn")
    f.MembershipFactory(cooperative=coop, role=Membership.Role.OWNER, user__email="o2@x.vn")
    return coop


def _owner(coop):
    return coop.memberships.filter(role="OWNER").order_by("pk").first().user


def _bank(coop):
    coop.refresh_from_db()
    return {k: getattr(coop, k) for k in OLD}


def test_manager_cannot_change_bank_fields(coop):
    manager = f.MembershipFactory(cooperative=coop, role=Membership.Role.MANAGER).user

    response = client_for(manager).patch(
        f"/api/v1/cooperatives/{coop.pk}/", {**NEW, "phone": "0987654321"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "owner_only"
    assert _bank(coop) == OLD
    assert coop.phone == "0912345678"  # the whole edit was refused, nothing half-applied
    assert coop.status == Cooperative.Status.VERIFIED
    assert not PayeeChange.objects.exists()
    assert not VerificationEvent.objects.filter(cooperative=coop).exists()


def test_owner_change_is_pending_recorded_and_mailed_to_every_owner(
    coop, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(_owner(coop)).patch(
            f"/api/v1/cooperatives/{coop.pk}/", NEW, format="json"
        )

    change = PayeeChange.objects.get()
    event = VerificationEvent.objects.get(cooperative=coop)
    assert response.status_code == 200
    assert {k: response.json()[k] for k in OLD} == OLD  # payments keep the verified account
    assert _bank(coop) == OLD
    assert coop.status == Cooperative.Status.VERIFIED
    assert (change.status, change.name_matches) == (PayeeChange.Status.PENDING, True)
    assert {k: getattr(change, k) for k in NEW} == NEW
    assert event.kind == VerificationEvent.Kind.PAYEE_CHANGE_REQUESTED
    assert event.actor == _owner(coop)
    assert sorted(m.to[0] for m in mailoutbox) == ["o1@x.vn", "o2@x.vn"]
    assert "•••9999" in mailoutbox[0].body


def test_open_order_keeps_its_payee_after_an_approved_change(
    coop, django_capture_on_commit_callbacks
):
    buyer = f.UserFactory()
    order = place_order(buyer, ProductFactory(cooperative=coop), 1)
    admin = f.UserFactory(platform_admin=True)
    client_for(_owner(coop)).patch(f"/api/v1/cooperatives/{coop.pk}/", NEW, format="json")
    change = PayeeChange.objects.get()

    approve = client_for(admin).post(
        f"/api/v1/cooperatives/{coop.pk}/payee-changes/{change.pk}/approve/", {}, format="json"
    )
    qr_old = client_for(buyer).get(f"/api/v1/orders/{order.code}/vietqr/").json()
    later = place_order(buyer, ProductFactory(cooperative=coop), 1)
    qr_new = client_for(buyer).get(f"/api/v1/orders/{later.code}/vietqr/").json()

    assert approve.status_code == 200
    assert _bank(coop) == NEW
    assert {k: qr_old[k] for k in OLD} == OLD
    assert {k: qr_new[k] for k in NEW} == NEW
    assert list(
        VerificationEvent.objects.filter(cooperative=coop).values_list("kind", flat=True)
    ) == ["PAYEE_REQUESTED", "PAYEE_APPROVED"]


def test_holder_name_mismatch_needs_the_admin_override(coop):
    admin = f.UserFactory(platform_admin=True)
    other = {**NEW, "bank_account_name": "NGUYEN VAN A"}
    client_for(_owner(coop)).patch(f"/api/v1/cooperatives/{coop.pk}/", other, format="json")
    change = PayeeChange.objects.get()
    url = f"/api/v1/cooperatives/{coop.pk}/payee-changes/{change.pk}/approve/"

    plain = client_for(admin).post(url, {}, format="json")
    change.refresh_from_db()
    still_pending = change.status
    forced = client_for(admin).post(url, {"override_name_check": True}, format="json")

    assert change.name_matches is False
    assert plain.status_code == 409
    assert plain.json()["code"] == "payee_name_mismatch"
    assert still_pending == PayeeChange.Status.PENDING
    assert forced.status_code == 200
    assert forced.json()["name_override"] is True
    assert _bank(coop) == other


def test_only_platform_admins_decide_and_a_rejection_changes_nothing(coop):
    owner = _owner(coop)
    client_for(owner).patch(f"/api/v1/cooperatives/{coop.pk}/", NEW, format="json")
    change = PayeeChange.objects.get()
    base = f"/api/v1/cooperatives/{coop.pk}/payee-changes/{change.pk}"

    by_owner = client_for(owner).post(f"{base}/approve/", {}, format="json")
    by_staff = client_for(f.UserFactory(is_staff=True)).post(f"{base}/approve/", {}, format="json")
    rejected = client_for(f.UserFactory(platform_admin=True)).post(
        f"{base}/reject/", {"reason": "Sổ tài khoản không khớp"}, format="json"
    )

    assert by_owner.status_code == 403
    assert by_staff.status_code == 403
    assert rejected.status_code == 200
    assert _bank(coop) == OLD
    change.refresh_from_db()
    assert change.status == PayeeChange.Status.REJECTED


@pytest.mark.parametrize(
    ("holder", "legal", "matches"),
    [
        ("HTX NONG NGHIEP SO 5", "Hợp tác xã Nông nghiệp Số 5", True),
        ("Hop tac xa nong nghiep so 5", "HTX Nông nghiệp Số 5", True),
        ("NONG NGHIEP SO 5", "Hợp tác xã Nông nghiệp Số 5", True),
        (
            "LIEN HIEP HTX CA PHE TAY NGUYEN DAK LAK",
            "Liên hiệp HTX Cà phê Tây Nguyên Đắk Lắk",
            True,
        ),
        ("HTX NONG NGHIEP SO 6", "Hợp tác xã Nông nghiệp Số 5", False),
        ("NGUYEN VAN A", "Hợp tác xã Nông nghiệp Số 5", False),
        ("HTX", "Hợp tác xã Nông nghiệp Số 5", False),
    ],
)
def test_holder_name_is_compared_folded_without_prefixes(holder, legal, matches):
    assert payee_name_matches(holder=holder, legal_name=legal) is matches


def test_draft_with_matching_name_applies_at_once():
    coop = f.CooperativeFactory(
        legal_name="Hợp tác xã Số 1", bank_bin="", bank_account="", bank_account_name=""
    )
    owner = f.MembershipFactory(cooperative=coop, role="OWNER").user

    response = client_for(owner).patch(f"/api/v1/cooperatives/{coop.pk}/", NEW, format="json")

    assert response.status_code == 200
    assert _bank(coop) == NEW
    assert not PayeeChange.objects.exists()
