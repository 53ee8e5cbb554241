import pytest

from market.reference import validators
from market.reference.validators import InvalidField


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0100109106", "0100109106"),
        (" 0100 109 106 ", "0100109106"),
        ("0100109106-001", "0100109106001"),
    ],
)
def test_tax_code_valid_forms_are_compacted(raw, expected):
    assert validators.tax_code(raw) == expected


@pytest.mark.parametrize(
    "raw, message_start",
    [
        ("0100109107", "The tax code (MST) has a wrong check digit."),
        ("01001091", "A tax code (MST) has 10 digits"),
        ("01001091ab", "A tax code (MST) contains digits only"),
        ("0100109107-001", "The tax code (MST) has a wrong check digit."),
    ],
)
def test_tax_code_invalid_gets_specific_message(raw, message_start, settings):
    settings.LANGUAGE_CODE = "en"

    with pytest.raises(InvalidField) as exc:
        validators.tax_code(raw)

    assert exc.value.code == "invalid_tax_code"
    assert str(exc.value.message).startswith(message_start)
    assert list(exc.value.fields) == ["tax_code"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0912345678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("024 3825 1234", "02438251234"),
    ],
)
def test_phone_normalised_to_national_form(raw, expected):
    assert validators.phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "0112345678", "091234567", "phone", "+1 202 555 0100"])
def test_phone_invalid(raw):
    with pytest.raises(InvalidField) as exc:
        validators.phone(raw)

    assert exc.value.code == "invalid_phone"


def test_year_founded_bounds():
    from django.utils import timezone

    this_year = timezone.localdate().year

    assert validators.year_founded(1900) == 1900
    assert validators.year_founded(str(this_year)) == this_year
    for bad in (1899, this_year + 1, "abc", None):
        with pytest.raises(InvalidField) as exc:
            validators.year_founded(bad)
        assert exc.value.code == "invalid_year_founded"


def test_bank_bin_six_digits():
    assert validators.bank_bin("970405") == "970405"

    for bad in ("97040", "9704051", "97040a", ""):
        with pytest.raises(InvalidField) as exc:
            validators.bank_bin(bad)
        assert exc.value.code == "invalid_bank_bin"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed, code",
    [
        (20, 20),
        ("20", 20),
        ("Lạng Sơn", 20),
        ("lang son", 20),
        ("Tỉnh Bắc Giang", 24),
        ("Bắc Giang", 24),
        ("Sóc Trăng", 92),
        ("Kiên Giang", 91),
    ],
)
def test_province_by_code_new_or_former_name(typed, code):
    assert validators.province(typed).code == code


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["Atlantis", "", 999, "9999"])
def test_unknown_province(typed):
    with pytest.raises(InvalidField) as exc:
        validators.province(typed)

    assert exc.value.code == "unknown_province"


@pytest.mark.django_db
def test_ward_must_belong_to_province():
    from market.models import Province, Ward

    lang_son = Province.objects.get(code=20)
    ward_in = Ward.objects.filter(province=lang_son).order_by("code").first()
    ward_out = Ward.objects.exclude(province=lang_son).order_by("code").first()

    assert validators.ward(ward_in.code, province=lang_son) == ward_in
    with pytest.raises(InvalidField) as exc:
        validators.ward(ward_out.code, province=lang_son)
    assert exc.value.code == "ward_not_in_province"
    with pytest.raises(InvalidField) as exc:
        validators.ward(12345678, province=lang_son)
    assert exc.value.code == "unknown_ward"
