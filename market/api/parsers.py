"""Request parsers. A module of its own: DRF reads DEFAULT_PARSER_CLASSES while `rest_framework.views`
loads, so this must not import the views (market.api does)."""

from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, but JSON nested deeper than Python's recursion limit is a 400.

    The standard library's decoder recurses once per level and raises RecursionError (which DRF
    does not catch) for a body like `{"a":{"a":...}}` 3,000 levels deep."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(
                _("JSON parse error - the document is nested too deeply.")
            ) from exc
