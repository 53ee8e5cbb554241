"""URL converters. `<id:...>` is `<int:...>` bounded to a positive 64-bit integer.

Django's `int` converter matches any run of digits; an id beyond int64 then reaches a primary-key
or foreign-key lookup and SQLite raises OverflowError (a 500). A value outside the range of a
BigAutoField cannot name a row, so the URL simply does not match (404).
"""

from django.urls import register_converter

ID_MAX = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 <= number <= ID_MAX:
            raise ValueError("id out of range")  # no match: 404
        return number

    def to_url(self, value: int | str) -> str:
        return str(int(value))


def register() -> None:
    register_converter(IdConverter, "id")
