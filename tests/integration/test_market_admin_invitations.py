import pytest

from market.invitations.services import membership_invite
from market.models import Invitation
from tests.factories import market as f

pytestmark = pytest.mark.django_db


def test_admin_lists_invitations_read_only_without_the_token(client, settings):
    owner = f.MembershipFactory(role="OWNER")
    membership_invite(
        actor=owner.user,
        cooperative_id=owner.cooperative_id,
        email="nguoi.moi@example.vn",
        role="STAFF",
    )
    admin = f.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)

    listing = client.get("/admin/market/invitation/")
    add = client.get("/admin/market/invitation/add/")
    detail = client.get(f"/admin/market/invitation/{Invitation.objects.get().pk}/change/")

    assert listing.status_code == 200
    assert "nguoi.moi@example.vn" in listing.content.decode()
    assert add.status_code == 403
    assert detail.status_code == 200
    assert Invitation.objects.get().token_hash not in detail.content.decode()
