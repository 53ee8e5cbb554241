"""The page frame's site header (base.html), kept per language for guests.

The header (brand, cart link, language switch, main menu) is the costliest part of the frame
every page renders: six URL reversals, a dozen translations and the menu's conditions, ~10% of
the web's CPU on a page served from the shared page cache (py-spy under bench/load.py). For a
guest it is the same page after page but for three things: the CSRF token (the language
form), the path to come back to after switching language, and the cart badge. So a guest's
header is rendered once per language and process, with holes where the token and the path go,
and filled for each request; a guest with cart lines, and everyone signed in, gets it rendered
as before. What it shows only changes with the code (URLs, templates, translations).
"""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from frontend.views.common import CSRF_HOLE

register = template.Library()
HEADER = "frontend/partials/site_header.html"
NEXT_HOLE = "__htx-next-path__"
_guest_headers: dict[str, str] = {}


class _Holes:
    """What the guest header is rendered with: the holes, and no cart lines."""

    count = 0

    @staticmethod
    def get_full_path() -> str:
        return NEXT_HOLE


@register.simple_tag(takes_context=True)
def site_header(context: template.Context) -> SafeString:
    assert context.template is not None  # a tag renders inside its template
    header = context.template.engine.get_template(HEADER)
    request, user = context.get("request"), context.get("user")
    cart_lines = context.get("cart_lines")
    guest = user is not None and not user.is_authenticated
    if request is None or not guest or "csrf_token" not in context or cart_lines is None:
        return mark_safe(header.render(context))
    if cart_lines.count:
        return mark_safe(header.render(context))
    language = get_language() or ""
    html = _guest_headers.get(language)
    if html is None:
        with context.push(csrf_token=CSRF_HOLE, request=_Holes, cart_lines=_Holes):
            html = _guest_headers[language] = header.render(context)
    path = conditional_escape(request.get_full_path())
    return mark_safe(html.replace(CSRF_HOLE, str(context["csrf_token"])).replace(NEXT_HOLE, path))
