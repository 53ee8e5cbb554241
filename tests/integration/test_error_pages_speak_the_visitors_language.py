"""The 404 and 500 pages: in Vietnamese first, English after the switch, with the site header."""

import pytest

from tests.clients import web_client

pytestmark = pytest.mark.django_db


def test_not_found_page_is_in_vietnamese_with_the_site_header_and_language_switch(actors):
    response = web_client(actors["buyer"]).get("/hop-tac-xa/khong-co-htx-nay/")

    html = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Không tìm thấy trang này</h1>" in html
    assert "Not Found" not in html
    assert 'action="/ngon-ngu/"' in html
    assert {"default-src 'self'", "script-src 'self'"} <= set(
        response["Content-Security-Policy"].split("; ")
    )


def test_not_found_page_in_english_after_the_switch(actors):
    client = web_client(actors["buyer"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    html = client.get(
        f"/htx/{actors['other_coop'].pk}/"
    ).content.decode()  # another cooperative's page

    assert "<h1>We could not find this page</h1>" in html
    assert 'lang="en"' in html


def test_server_error_page_is_in_vietnamese(rf):
    from django.utils import translation
    from django.views.defaults import server_error

    with translation.override("vi"):  # what LocaleMiddleware has activated when the view fails
        response = server_error(rf.get("/"))

    assert response.status_code == 500
    assert "Đã có lỗi xảy ra" in response.content.decode()
