import pytest

from market.models import FormerProvince, Province, Ward
from market.reference.admin_units import fold, resolve_province

pytestmark = pytest.mark.django_db


def test_the_2025_structure_is_loaded_from_the_data_package():
    assert Province.objects.count() == 34
    assert Ward.objects.count() > 3000
    assert FormerProvince.objects.count() == 63


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("Bắc Giang", "Bắc Ninh"),
        ("Tỉnh Sóc Trăng", "Thành phố Cần Thơ"),
        ("hau giang", "Thành phố Cần Thơ"),
        ("Bến Tre", "Vĩnh Long"),
        ("Kiên Giang", "An Giang"),
        ("Đắk Nông", "Lâm Đồng"),
        ("Phú Yên", "Đắk Lắk"),
        ("Hà Nam", "Ninh Bình"),
        ("Lạng Sơn", "Lạng Sơn"),
        ("lang son", "Lạng Sơn"),
        ("TP Hồ Chí Minh", "Thành phố Hồ Chí Minh"),
    ],
)
def test_former_and_current_province_names_resolve_to_the_current_unit(typed, expected):
    assert resolve_province(typed).name == expected


def test_unknown_province_name_resolves_to_nothing():
    assert resolve_province("Atlantis") is None
    assert resolve_province("") is None


def test_fold_handles_stacked_marks_nfd_and_d_with_stroke():
    assert fold("Cà phê Đắk Lắk") == "ca phe dak lak"
    assert fold("NƯỚC MẮM") == "nuoc mam"
    assert fold("Cầu Đất".encode().decode()) == "cau dat"
    import unicodedata

    assert fold(unicodedata.normalize("NFD", "Hồi")) == "hoi"
