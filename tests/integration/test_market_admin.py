from datetime import timedelta

import pytest
from django.utils import timezone

from market.models import Cooperative, VerificationEvent
from tests.factories import market as f

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/market/cooperative/"


@pytest.fixture
def admin_client(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    admin = f.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    client.admin = admin
    return client


def test_queue_filter_lists_submitted_oldest_first(admin_client):
    now = timezone.now()
    newer = f.CooperativeFactory(status="SUBMITTED", submitted_at=now)
    older = f.CooperativeFactory(status="SUBMITTED", submitted_at=now - timedelta(days=2))
    f.CooperativeFactory(verified=True)

    response = admin_client.get(CHANGELIST, {"queue": "1"})

    assert response.status_code == 200
    assert [c.pk for c in response.context["cl"].result_list] == [older.pk, newer.pk]


def test_change_page_previews_documents_through_authorised_view(admin_client):
    coop = f.CooperativeFactory(status="SUBMITTED")
    pdf = f.CooperativeDocumentFactory(cooperative=coop)
    image = f.CooperativeDocumentFactory(
        cooperative=coop, content_type="image/png", original_name="dau.png"
    )

    html = admin_client.get(f"{CHANGELIST}{coop.pk}/change/").content.decode()

    base = f"/api/v1/cooperatives/{coop.pk}/documents"
    assert f'<img src="{base}/{image.pk}/download/?inline=1"' in html
    assert f'href="{base}/{pdf.pk}/download/?inline=1"' in html
    assert "/media/" not in html


def test_verify_action_calls_service(admin_client):
    coop = f.CooperativeFactory(status="SUBMITTED")

    admin_client.post(CHANGELIST, {"action": "verify", "_selected_action": [coop.pk]})

    coop.refresh_from_db()
    assert coop.status == "VERIFIED"
    assert list(VerificationEvent.objects.values_list("actor", "to_status")) == [
        (admin_client.admin.pk, "VERIFIED")
    ]


def test_reject_action_asks_for_reason_then_rejects(admin_client):
    coop = f.CooperativeFactory(status="SUBMITTED")

    page = admin_client.post(CHANGELIST, {"action": "reject", "_selected_action": [coop.pk]})
    coop.refresh_from_db()
    status_after_first_post = coop.status
    empty = admin_client.post(
        CHANGELIST, {"action": "reject", "_selected_action": [coop.pk], "apply": "1", "reason": ""}
    )
    done = admin_client.post(
        CHANGELIST,
        {
            "action": "reject",
            "_selected_action": [coop.pk],
            "apply": "1",
            "reason": "Giấy chứng nhận hết hạn",
        },
    )

    coop.refresh_from_db()
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    assert status_after_first_post == "SUBMITTED"
    assert empty.status_code == 200  # the form again, with its error
    assert done.status_code == 302
    assert (coop.status, coop.status_reason) == ("REJECTED", "Giấy chứng nhận hết hạn")
    assert VerificationEvent.objects.count() == 1


def test_action_on_wrong_status_reports_error_and_changes_nothing(admin_client):
    coop = f.CooperativeFactory(status="DRAFT")

    response = admin_client.post(
        CHANGELIST, {"action": "verify", "_selected_action": [coop.pk]}, follow=True
    )

    coop.refresh_from_db()
    assert coop.status == Cooperative.Status.DRAFT
    assert VerificationEvent.objects.count() == 0
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def _admin_form_data(coop, **changes):
    from django.forms.models import model_to_dict

    data = {k: v for k, v in model_to_dict(coop).items() if v is not None and k != "logo"}
    data.update(changes)
    return data


def test_admin_change_form_refuses_an_invalid_tax_code_and_a_ward_of_another_province(
    admin_client, rf
):
    from django.contrib import admin as django_admin

    from market.admin import CooperativeAdmin
    from market.models import Ward

    coop = f.CooperativeFactory(verified=True)
    other_ward = Ward.objects.exclude(province=coop.province).order_by("code").first()
    request = rf.post("/")
    request.user = admin_client.admin
    form_class = CooperativeAdmin(Cooperative, django_admin.site).get_form(request, coop)

    form = form_class(
        _admin_form_data(coop, tax_code="0100109107", ward=other_ward.pk), instance=coop
    )

    assert not form.is_valid()
    assert set(form.errors) == {"tax_code", "ward"}


def test_admin_save_records_the_change_for_the_search_index(
    admin_client, rf, django_capture_on_commit_callbacks
):
    from django.contrib import admin as django_admin

    from market.admin import CooperativeAdmin
    from market.models import OutboxEvent

    coop = f.CooperativeFactory(verified=True)
    model_admin = CooperativeAdmin(Cooperative, django_admin.site)
    request = rf.post("/")
    request.user = admin_client.admin
    form = model_admin.get_form(request, coop)(
        _admin_form_data(coop, trading_name="HTX Tên Mới"), instance=coop
    )
    assert form.is_valid(), form.errors

    with django_capture_on_commit_callbacks(execute=False):
        model_admin.save_model(request, form.save(commit=False), form, change=True)

    assert list(
        OutboxEvent.objects.filter(entity="cooperative").values_list("entity_id", flat=True)
    ) == [coop.pk]
    coop.refresh_from_db()
    assert coop.trading_name == "HTX Tên Mới"


def test_image_preview_has_no_inline_style_the_csp_would_block():
    from django.contrib import admin as django_admin

    from market.admin import DocumentInline

    doc = f.CooperativeDocumentFactory(content_type="image/png", original_name="dau.png")
    inline = DocumentInline(Cooperative, django_admin.site)

    html = str(inline.preview(doc))

    assert "style=" not in html
    assert 'height="120"' in html
