"""Members join by invitation: nobody is added without consent, and the inviter learns nothing
about whether an address has an account."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from market.cooperatives import selectors, services
from market.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from market.invitations import services as invitations
from market.models import Invitation, Membership
from tests.factories import market as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def invite(mailoutbox, django_capture_on_commit_callbacks):
    """Invite through the service; return the raw token, which exists only in the mail."""

    def _invite(owner, email="KE.TOAN@htx.vn", role="STAFF"):
        with django_capture_on_commit_callbacks(execute=True):
            invitations.membership_invite(
                actor=owner.user, cooperative_id=owner.cooperative_id, email=email, role=role
            )
        return re.search(r"/invitations/([A-Za-z0-9_-]+)/", mailoutbox[-1].body).group(1)

    return _invite


def rows():
    return (
        list(
            Invitation.objects.order_by("pk").values_list(
                "email", "role", "accepted_at", "revoked_at"
            )
        ),
        list(Membership.objects.order_by("pk").values_list("user_id", "cooperative_id", "role")),
    )


def test_invite_then_accept_creates_membership_only_on_acceptance(invite, mailoutbox):
    owner = f.MembershipFactory(cooperative__legal_name="HTX Chè Tân Cương")
    newcomer = f.UserFactory(email="ke.toan@htx.vn", language="en")

    token = invite(owner)
    members_before_accept = Membership.objects.filter(user=newcomer).count()
    membership = invitations.membership_accept(user=newcomer, token=token)

    invitation = Invitation.objects.get()
    assert members_before_accept == 0
    assert (membership.user, membership.cooperative_id, membership.role) == (
        newcomer,
        owner.cooperative_id,
        "STAFF",
    )
    assert (invitation.email, invitation.invited_by, invitation.accepted_by) == (
        "ke.toan@htx.vn",
        owner.user,
        newcomer,
    )
    assert invitation.accepted_at is not None
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert token not in Invitation.objects.values_list("token_hash", flat=True)[0]
    assert [m.to for m in mailoutbox] == [["ke.toan@htx.vn"]]
    assert mailoutbox[0].subject == "You are invited to join HTX Chè Tân Cương on HTX Market"


def test_invitation_mail_is_vietnamese_for_unknown_address(invite, mailoutbox):
    owner = f.MembershipFactory(cooperative__legal_name="HTX Chè Tân Cương")

    invite(owner, email="chua.co@htx.vn")

    assert mailoutbox[0].subject == "Lời mời tham gia HTX Chè Tân Cương trên HTX Market"


def test_invite_answers_the_same_for_known_and_unknown_addresses(invite, mailoutbox):
    owner = f.MembershipFactory()
    f.UserFactory(email="co.tai.khoan@htx.vn")

    known = invitations.membership_invite(
        actor=owner.user,
        cooperative_id=owner.cooperative_id,
        email="co.tai.khoan@htx.vn",
        role="STAFF",
    )
    unknown = invitations.membership_invite(
        actor=owner.user, cooperative_id=owner.cooperative_id, email="khong.co@htx.vn", role="STAFF"
    )

    assert known is None and unknown is None
    assert Invitation.objects.count() == 2
    assert Membership.objects.count() == 1


@pytest.mark.parametrize("role", ["MANAGER", "STAFF"])
def test_only_owner_can_invite(role, invite):
    member = f.MembershipFactory(role=role)
    before = rows()

    with pytest.raises(PermissionDenied):
        invitations.membership_invite(
            actor=member.user, cooperative_id=member.cooperative_id, email="x@htx.vn", role="STAFF"
        )

    assert rows() == before


def test_stranger_who_created_a_draft_cannot_invite_into_another_cooperative():
    target = f.MembershipFactory()
    stranger = f.MembershipFactory(cooperative__status="DRAFT").user
    before = rows()

    with pytest.raises(NotFound):
        invitations.membership_invite(
            actor=stranger, cooperative_id=target.cooperative_id, email="x@htx.vn", role="STAFF"
        )

    assert rows() == before


def test_accept_requires_the_invited_address(invite):
    owner = f.MembershipFactory()
    token = invite(owner, email="dung@htx.vn")
    other = f.UserFactory(email="khac@htx.vn")
    before = rows()

    with pytest.raises(PermissionDenied) as exc:
        invitations.membership_accept(user=other, token=token)

    assert exc.value.code == "invitation_email_mismatch"
    assert rows() == before


@pytest.mark.parametrize("spoil", ["expired", "revoked", "accepted", "garbage"])
def test_accept_refuses_unusable_invitations(spoil, invite):
    owner = f.MembershipFactory()
    user = f.UserFactory(email="dung@htx.vn")
    token = invite(owner, email="dung@htx.vn")
    invitation = Invitation.objects.get()
    if spoil == "expired":
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif spoil == "revoked":
        invitations.invitation_revoke(
            actor=owner.user, cooperative_id=owner.cooperative_id, invitation_id=invitation.pk
        )
    elif spoil == "accepted":
        invitations.membership_accept(user=user, token=token)
        Membership.objects.filter(user=user).delete()
    else:
        token = "x" * 43
    before = rows()

    with pytest.raises(ValidationFailed) as exc:
        invitations.membership_accept(user=user, token=token)

    assert exc.value.code == "invalid_invitation"
    assert rows() == before


def test_second_pending_invitation_for_same_address_conflicts(invite):
    owner = f.MembershipFactory()
    invite(owner, email="dung@htx.vn")
    before = rows()

    with pytest.raises(Conflict) as exc:
        invitations.membership_invite(
            actor=owner.user,
            cooperative_id=owner.cooperative_id,
            email="DUNG@htx.vn",
            role="MANAGER",
        )

    assert exc.value.code == "already_invited"
    assert rows() == before


def test_expired_invitation_can_be_renewed(invite):
    owner = f.MembershipFactory()
    invite(owner, email="dung@htx.vn")
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    invite(owner, email="dung@htx.vn", role="MANAGER")

    assert [(e, r, rev is None) for e, r, _a, rev in rows()[0]] == [
        ("dung@htx.vn", "STAFF", False),
        ("dung@htx.vn", "MANAGER", True),
    ]


def test_owner_lists_and_revokes_pending_invitations_manager_cannot(invite):
    owner = f.MembershipFactory()
    manager = f.MembershipFactory(cooperative=owner.cooperative, role="MANAGER")
    invite(owner, email="a@htx.vn")
    invite(owner, email="b@htx.vn")
    first = Invitation.objects.order_by("pk").first()

    listed = [
        i.email
        for i in selectors.invitation_list_for_owner(
            user=owner.user, cooperative_id=owner.cooperative_id
        )
    ]
    with pytest.raises(PermissionDenied):
        invitations.invitation_revoke(
            actor=manager.user, cooperative_id=owner.cooperative_id, invitation_id=first.pk
        )
    invitations.invitation_revoke(
        actor=owner.user, cooperative_id=owner.cooperative_id, invitation_id=first.pk
    )
    after = [
        i.email
        for i in selectors.invitation_list_for_owner(
            user=owner.user, cooperative_id=owner.cooperative_id
        )
    ]

    assert (listed, after) == (["a@htx.vn", "b@htx.vn"], ["b@htx.vn"])
    with pytest.raises(PermissionDenied):
        selectors.invitation_list_for_owner(user=manager.user, cooperative_id=owner.cooperative_id)


def test_accepting_when_already_a_member_conflicts(invite):
    owner = f.MembershipFactory()
    token = invite(owner, email=owner.user.email)
    before = rows()

    with pytest.raises(Conflict):
        invitations.membership_accept(user=owner.user, token=token)

    assert rows() == before


def test_owner_removes_member():
    owner = f.MembershipFactory()
    staff = f.MembershipFactory(cooperative=owner.cooperative, role="STAFF")

    services.membership_remove(
        actor=owner.user, cooperative_id=owner.cooperative_id, user_id=staff.user_id
    )

    assert list(Membership.objects.values_list("user_id", flat=True)) == [owner.user_id]


def test_accept_page_asks_then_accepts_for_the_invited_address_only(invite, client):
    owner = f.MembershipFactory(cooperative__legal_name="HTX Chè Tân Cương")
    invitee = f.UserFactory(email="dung@htx.vn")
    stranger = f.UserFactory(email="khac@htx.vn")
    token = invite(owner, email="dung@htx.vn", role="MANAGER")
    url = f"/invitations/{token}/"

    anonymous = client.get(url)
    client.force_login(stranger)
    refused = client.post(url)
    members_after_refusal = Membership.objects.filter(cooperative=owner.cooperative).count()
    client.force_login(invitee)
    page = client.get(url)
    accepted = client.post(url)
    used = client.get(url)

    assert (anonymous.status_code, anonymous["Location"]) == (302, f"/login/?next={url}")
    assert refused.status_code == 403
    assert "Lời mời này được gửi tới một địa chỉ e-mail khác." in refused.content.decode()
    assert members_after_refusal == 1
    assert page.status_code == 200
    assert (
        "HTX Chè Tân Cương mời bạn tham gia đội ngũ với vai trò Quản lý." in page.content.decode()
    )
    assert "Chấp nhận lời mời" in page.content.decode()
    assert (accepted.status_code, accepted["Location"]) == (302, "/")
    assert Membership.objects.get(user=invitee).role == "MANAGER"
    assert used.status_code == 400
