"""Validation of Vietnamese business data: tax codes, phone numbers, bank BINs, years and
administrative units.

Each validator returns the normalised value or raises `InvalidField`, a `ValidationFailed`
carrying a stable machine code and the offending field, so APIs, forms and CSV imports give the
same specific message.
"""

import re
import unicodedata
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.vn import mst

from market.errors import ValidationFailed

if TYPE_CHECKING:
    from market.models import Province, Ward


class InvalidField(ValidationFailed):
    """One field is wrong; `fields` names it so a form can show the message next to it."""

    def __init__(self, field: str, message, *, code: str):
        super().__init__(message, fields={field: [str(message)]}, code=code)
        self.field = field


def tax_code(value: str, *, field: str = "tax_code") -> str:
    """A Vietnamese MST (10 digits, or 13 for a branch: "0100109106-001"), compacted to digits."""
    compact = mst.compact(value or "")
    try:
        return mst.validate(compact)
    except stdnum_errors.InvalidChecksum:
        message = _("The tax code (MST) has a wrong check digit.")
    except stdnum_errors.InvalidLength:
        message = _("A tax code (MST) has 10 digits, or 13 for a branch (e.g. 0100109106-001).")
    except stdnum_errors.ValidationError:
        message = _("A tax code (MST) contains digits only, e.g. 0100109106 or 0100109106-001.")
    raise InvalidField(field, message, code="invalid_tax_code")


_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
# Mobile: 0 + 3/5/7/8/9 + 8 digits. Landline since 2017: 02 + area code + number = 11 digits.
_PHONE = re.compile(r"^(0[35789]\d{8}|02\d{9})$")


def phone(value: str, *, field: str = "phone") -> str:
    """A Vietnamese phone number, normalised to the national form (0912345678)."""
    number = _PHONE_SEPARATORS.sub("", value or "")
    if number.startswith("+84"):
        number = "0" + number[3:]
    elif number.startswith("84") and len(number) in (11, 12):
        number = "0" + number[2:]
    if not _PHONE.match(number):
        raise InvalidField(
            field,
            _("Enter a Vietnamese phone number, e.g. 0912 345 678 or +84 912 345 678."),
            code="invalid_phone",
        )
    return number


def year_founded(value: Any, *, field: str = "year_founded") -> int:
    """A founding year between 1900 and this year."""
    this_year = timezone.localdate().year
    try:
        year = int(value)
    except (TypeError, ValueError):
        year = None
    if year is None or not 1900 <= year <= this_year:
        raise InvalidField(
            field,
            _("The year founded must be between 1900 and %(year)s.") % {"year": this_year},
            code="invalid_year_founded",
        )
    return year


def bank_bin(value: str, *, field: str = "bank_bin") -> str:
    """A NAPAS bank identification number: exactly 6 digits (e.g. 970405)."""
    value = (value or "").strip()
    if not re.fullmatch(r"\d{6}", value):
        raise InvalidField(
            field, _("A bank BIN has exactly 6 digits, e.g. 970405."), code="invalid_bank_bin"
        )
    return value


def bank_account(value: str, *, field: str = "bank_account") -> str:
    value = re.sub(r"[\s.\-]", "", value or "")
    if not re.fullmatch(r"\d{6,19}", value):
        raise InvalidField(
            field, _("A bank account number has 6 to 19 digits."), code="invalid_bank_account"
        )
    return value


def province(value: Any, *, field: str = "province") -> "Province":
    """A current province from its code (int or digit string) or a typed name, old or new
    ("Bắc Giang" → Bắc Ninh). Raises InvalidField when nothing matches."""
    from market.models import Province
    from market.reference.admin_units import resolve_province

    found = None
    if isinstance(value, Province):
        found = value
    elif isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        found = Province.objects.filter(code=int(value)).first()
    elif isinstance(value, str) and value.strip():
        found = resolve_province(value)
    if found is None:
        raise InvalidField(
            field, _("Unknown province: %(value)s.") % {"value": value}, code="unknown_province"
        )
    return found


def ward(value: Any, *, province: "Province", field: str = "ward") -> "Ward":
    """A ward by code that must belong to `province` (wards moved with the 2025 reform, so a
    ward from another province is a common mistake worth a specific message)."""
    from market.models import Ward

    try:
        code = int(value.code if isinstance(value, Ward) else value)
    except (TypeError, ValueError):
        code = None
    found = (
        Ward.objects.filter(code=code).select_related("province").first()
        if code is not None
        else None
    )
    if found is None:
        raise InvalidField(
            field, _("Unknown ward: %(value)s.") % {"value": value}, code="unknown_ward"
        )
    if found.province_id != province.code:
        raise InvalidField(
            field,
            _("%(ward)s is in %(ward_province)s, not in %(province)s.")
            % {"ward": found.name, "ward_province": found.province.name, "province": province.name},
            code="ward_not_in_province",
        )
    return found


def email(value: str, *, field: str = "email") -> str:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    value = (value or "").strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        raise InvalidField(
            field, _("Enter a valid e-mail address."), code="invalid_email"
        ) from None
    return value


# Bidirectional overrides and isolates: invisible, and they make "moc.live" read as "evil.com".
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def single_line(value: str, *, field: str, required: bool = True) -> str:
    """One line of visible text, e.g. a name: the one check every name field uses.

    Refuses control characters (newline, CR, tab, NUL…: a trading name with "\\nBcc:" broke every
    later e-mail header built from it), line/paragraph separators and bidi overrides; refuses a
    value that is blank once invisible characters (zero-width spaces, joiners, BOM) are removed.
    Returns the value with surrounding spaces removed; "" is allowed when not `required`."""
    value = (value or "").strip()
    if not value:
        if required:
            raise InvalidField(field, _("This field is required."), code="required")
        return ""
    for char in value:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS:
            raise InvalidField(
                field,
                _("Use one line of text without control characters."),
                code="control_characters",
            )
    visible = "".join(c for c in value if unicodedata.category(c) not in ("Cf", "Zs", "Mn", "Me"))
    if not visible:
        raise InvalidField(
            field, _("Enter visible text, not only spaces or invisible characters."), code="blank"
        )
    return value
