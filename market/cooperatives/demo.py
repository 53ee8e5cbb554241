"""Demo people and cooperatives. Logins are listed in the README."""

import functools
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from stdnum.vn import mst

from market.models import (
    PLATFORM_ADMIN_GROUP,
    BuyerProfile,
    Cooperative,
    Membership,
    Province,
    User,
    VerificationEvent,
    Ward,
)

# Demo logins, printed by `make run` and listed in the README: public on purpose.
DEMO_PASSWORD = "demo12345"  # noqa: S105
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@htx.market", "admin12345"

# (slug, legal name, trading name, province code, sector, kind, status, members, founded, description)
COOPERATIVES = [
    (
        "htx-ca-phe-ea-tul",
        "Hợp tác xã Nông nghiệp Dịch vụ Ea Tul",
        "HTX Cà phê Ea Tul",
        66,
        "CROPS",
        "HTX",
        "VERIFIED",
        120,
        2012,
        "Cà phê Robusta và Arabica trồng theo chuẩn 4C, VietGAP tại Cư M'gar, Đắk Lắk.",
    ),
    (
        "htx-lua-gao-soc-trang",
        "Hợp tác xã Lúa gạo Hòa Tú",
        "Gạo ST25 Hòa Tú",
        92,
        "CROPS",
        "HTX",
        "VERIFIED",
        85,
        2016,
        "Gạo ST25, ST24 canh tác lúa – tôm hữu cơ tại vùng đất Sóc Trăng cũ.",
    ),
    (
        "htx-hoi-que-lang-son",
        "Hợp tác xã Hồi Quế Văn Quan",
        "Hồi Văn Quan",
        20,
        "FORESTRY",
        "HTX",
        "VERIFIED",
        46,
        2018,
        "Hoa hồi khô, tinh dầu hồi và quế từ rừng hồi Lạng Sơn.",
    ),
    (
        "htx-che-tan-cuong",
        "Hợp tác xã Chè Tân Cương",
        "Chè Tân Cương",
        19,
        "CROPS",
        "HTX",
        "VERIFIED",
        60,
        2009,
        "Chè búp Tân Cương Thái Nguyên, OCOP 4 sao.",
    ),
    (
        "htx-tieu-phu-quoc",
        "Hợp tác xã Hồ tiêu Phú Quốc",
        "Tiêu Phú Quốc",
        91,
        "CROPS",
        "HTX",
        "VERIFIED",
        38,
        2014,
        "Hồ tiêu đen, tiêu sọ Phú Quốc (nay thuộc An Giang).",
    ),
    (
        "htx-mat-ong-mocchau",
        "Hợp tác xã Ong mật Mộc Châu",
        "Mật ong Mộc Châu",
        14,
        "LIVESTOCK",
        "HTX",
        "VERIFIED",
        25,
        2015,
        "Mật ong hoa cà phê, hoa nhãn và bạc hà từ cao nguyên Mộc Châu.",
    ),
    (
        "htx-thuy-san-ca-mau",
        "Hợp tác xã Thủy sản Rạch Gốc",
        "Tôm khô Rạch Gốc",
        96,
        "FISHERY",
        "HTX",
        "VERIFIED",
        70,
        2011,
        "Tôm khô, cá khô, ba khía muối Cà Mau.",
    ),
    (
        "htx-dieu-binh-phuoc",
        "Liên hiệp HTX Điều Bình Phước",
        "Hạt điều Bình Phước",
        75,
        "PROCESSING",
        "LHHTX",
        "VERIFIED",
        410,
        2010,
        "Hạt điều rang muối, điều nhân W320 xuất khẩu.",
    ),
    (
        "htx-may-tre-dan",
        "Tổ hợp tác Mây tre đan Phú Vinh",
        "Mây tre Phú Vinh",
        1,
        "HANDICRAFT",
        "THT",
        "VERIFIED",
        30,
        2005,
        "Đồ mây tre đan thủ công làng nghề Phú Vinh.",
    ),
    (
        "htx-trai-cay-tien-giang",
        "Hợp tác xã Trái cây Mỹ Long",
        "Trái cây Mỹ Long",
        82,
        "CROPS",
        "HTX",
        "VERIFIED",
        55,
        2013,
        "Xoài cát Hòa Lộc, sầu riêng, thanh long, dứa (khóm) miền Tây.",
    ),
    (
        "htx-nong-san-bac-giang",
        "Hợp tác xã Vải thiều Lục Ngạn",
        "Vải Lục Ngạn",
        24,
        "CROPS",
        "HTX",
        "VERIFIED",
        90,
        2008,
        "Vải thiều Lục Ngạn (Bắc Giang cũ, nay Bắc Ninh) tươi và sấy, lạc, ngô.",
    ),
    (
        "htx-rau-da-lat",
        "Hợp tác xã Rau sạch Xuân Hương",
        "Rau Đà Lạt",
        68,
        "CROPS",
        "HTX",
        "DRAFT",
        22,
        2020,
        "Rau củ thủy canh Đà Lạt.",
    ),
]


def _more(slug, legal, trading, province, sector, members, founded, desc, status="VERIFIED"):
    kind = (
        "THT" if legal.startswith("Tổ hợp tác") else "LHHTX" if legal.startswith("Liên") else "HTX"
    )
    return (slug, legal, trading, province, sector, kind, status, members, founded, desc)


# The rest of the demo market: one cooperative per line, each selling one product line
# (catalog/data/demo_products.py), across the country's provinces. Two wait in the admin queue.
COOPERATIVES += [
    _more(
        "htx-ca-phe-cau-dat",
        "Hợp tác xã Cà phê Cầu Đất",
        "Arabica Cầu Đất",
        68,
        "CROPS",
        64,
        2014,
        "Cà phê Arabica Cầu Đất trồng ở độ cao 1.500 m, Lâm Đồng.",
    ),
    _more(
        "htx-ca-phe-chu-prong",
        "Hợp tác xã Cà phê Chư Prông",
        "Cà phê Chư Prông",
        52,
        "CROPS",
        150,
        2011,
        "Cà phê Robusta Gia Lai, sơ chế ướt, phơi giàn.",
    ),
    _more(
        "htx-ca-phe-rang-xay-sai-gon",
        "Hợp tác xã Cà phê Rang xay Sài Gòn",
        "Rang xay Sài Gòn",
        79,
        "PROCESSING",
        18,
        2019,
        "Cà phê rang xay mộc từ hạt Tây Nguyên, rang tại TP. Hồ Chí Minh.",
    ),
    _more(
        "htx-gao-thoai-son",
        "Hợp tác xã Nông nghiệp Thoại Sơn",
        "Gạo Thoại Sơn",
        91,
        "CROPS",
        210,
        2007,
        "Gạo Jasmine, Nàng Hoa cánh đồng lớn An Giang.",
    ),
    _more(
        "htx-gao-dien-bien",
        "Hợp tác xã Gạo Mường Thanh",
        "Gạo Điện Biên",
        11,
        "CROPS",
        75,
        2015,
        "Gạo Séng Cù cánh đồng Mường Thanh, Điện Biên.",
    ),
    _more(
        "htx-nep-cai-hoa-vang",
        "Hợp tác xã Nếp cái hoa vàng Kinh Môn",
        "Nếp Kinh Môn",
        31,
        "CROPS",
        48,
        2016,
        "Nếp cái hoa vàng Kinh Môn (Hải Dương cũ, nay Hải Phòng).",
    ),
    _more(
        "htx-gao-huu-co-vinh-long",
        "Hợp tác xã Lúa hữu cơ Tam Bình",
        "Gạo hữu cơ Tam Bình",
        86,
        "CROPS",
        66,
        2018,
        "Gạo lứt và gạo hữu cơ Vĩnh Long.",
    ),
    _more(
        "htx-na-chi-lang",
        "Hợp tác xã Na Chi Lăng",
        "Na Chi Lăng",
        20,
        "CROPS",
        95,
        2012,
        "Na (mãng cầu ta) Chi Lăng, Lạng Sơn, chỉ dẫn địa lý.",
    ),
    _more(
        "htx-mang-cau-ba-den",
        "Hợp tác xã Mãng cầu Bà Đen",
        "Mãng cầu Bà Đen",
        80,
        "CROPS",
        58,
        2013,
        "Mãng cầu ta Bà Đen, Tây Ninh: tươi và sấy dẻo.",
    ),
    _more(
        "htx-hoi-cao-bang",
        "Hợp tác xã Hồi Trùng Khánh",
        "Hồi Cao Bằng",
        4,
        "FORESTRY",
        40,
        2017,
        "Hoa hồi khô Trùng Khánh, Cao Bằng.",
    ),
    _more(
        "htx-que-van-yen",
        "Hợp tác xã Quế Văn Yên",
        "Quế Văn Yên",
        15,
        "FORESTRY",
        130,
        2010,
        "Quế vỏ, quế ống Văn Yên (Yên Bái cũ, nay Lào Cai).",
    ),
    _more(
        "htx-que-tra-my",
        "Hợp tác xã Quế Trà My",
        "Quế Trà My",
        48,
        "FORESTRY",
        52,
        2016,
        "Quế Trà My (Quảng Nam cũ, nay Đà Nẵng).",
    ),
    _more(
        "htx-che-shan-tuyet",
        "Hợp tác xã Chè Shan tuyết Hoàng Su Phì",
        "Shan tuyết Hoàng Su Phì",
        8,
        "CROPS",
        80,
        2013,
        "Chè Shan tuyết cổ thụ Hà Giang cũ, nay Tuyên Quang.",
    ),
    _more(
        "htx-che-o-long-moc-chau",
        "Hợp tác xã Chè Ô long Mộc Châu",
        "Ô long Mộc Châu",
        14,
        "CROPS",
        44,
        2012,
        "Chè ô long và chè xanh cao nguyên Mộc Châu, Sơn La.",
    ),
    _more(
        "htx-che-phu-tho",
        "Hợp tác xã Chè Long Cốc",
        "Chè Long Cốc",
        25,
        "CROPS",
        70,
        2009,
        "Chè xanh đồi Long Cốc, Phú Thọ.",
    ),
    _more(
        "htx-tieu-chu-se",
        "Hợp tác xã Hồ tiêu Chư Sê",
        "Tiêu Chư Sê",
        52,
        "CROPS",
        120,
        2010,
        "Hồ tiêu Chư Sê, Gia Lai, chỉ dẫn địa lý.",
    ),
    _more(
        "htx-dieu-bu-dang",
        "Hợp tác xã Điều Bù Đăng",
        "Điều Bù Đăng",
        75,
        "CROPS",
        160,
        2012,
        "Hạt điều Bù Đăng (Bình Phước cũ, nay Đồng Nai).",
    ),
    _more(
        "htx-nuoc-mam-phu-quoc",
        "Hợp tác xã Nước mắm Phú Quốc",
        "Nước mắm Phú Quốc",
        91,
        "PROCESSING",
        36,
        2008,
        "Nước mắm cá cơm ủ chượp thùng gỗ Phú Quốc.",
    ),
    _more(
        "htx-nuoc-mam-cat-hai",
        "Hợp tác xã Nước mắm Cát Hải",
        "Nước mắm Cát Hải",
        31,
        "PROCESSING",
        28,
        2014,
        "Nước mắm truyền thống Cát Hải, Hải Phòng.",
    ),
    _more(
        "htx-nuoc-mam-nha-trang",
        "Hợp tác xã Nước mắm Cửa Bé",
        "Nước mắm Nha Trang",
        56,
        "PROCESSING",
        30,
        2015,
        "Nước mắm Nha Trang, Khánh Hòa.",
    ),
    _more(
        "htx-mat-ong-bac-ha",
        "Hợp tác xã Mật ong Bạc hà Đồng Văn",
        "Mật ong Bạc hà",
        8,
        "LIVESTOCK",
        34,
        2016,
        "Mật ong hoa bạc hà cao nguyên đá Đồng Văn.",
    ),
    _more(
        "htx-mat-ong-dak-lak",
        "Hợp tác xã Ong mật Krông Năng",
        "Mật ong Krông Năng",
        66,
        "LIVESTOCK",
        40,
        2013,
        "Mật ong hoa cà phê Đắk Lắk.",
    ),
    _more(
        "htx-sau-rieng-krong-pac",
        "Hợp tác xã Sầu riêng Krông Pắc",
        "Sầu riêng Krông Pắc",
        66,
        "CROPS",
        110,
        2017,
        "Sầu riêng Ri6, Monthong Đắk Lắk.",
    ),
    _more(
        "htx-xoai-cao-lanh",
        "Hợp tác xã Xoài Mỹ Xương",
        "Xoài Cao Lãnh",
        82,
        "CROPS",
        90,
        2011,
        "Xoài cát Chu, xoài Hòa Lộc Cao Lãnh, Đồng Tháp.",
    ),
    _more(
        "htx-thanh-long-ham-thuan",
        "Hợp tác xã Thanh long Hàm Thuận Nam",
        "Thanh long Bình Thuận",
        68,
        "CROPS",
        140,
        2010,
        "Thanh long ruột trắng, ruột đỏ (Bình Thuận cũ, nay Lâm Đồng).",
    ),
    _more(
        "htx-buoi-phuc-trach",
        "Hợp tác xã Bưởi Phúc Trạch",
        "Bưởi Phúc Trạch",
        42,
        "CROPS",
        60,
        2014,
        "Bưởi Phúc Trạch Hương Khê, Hà Tĩnh.",
    ),
    _more(
        "htx-cam-vinh",
        "Hợp tác xã Cam Quỳ Hợp",
        "Cam Vinh",
        40,
        "CROPS",
        72,
        2012,
        "Cam Vinh, cam Xã Đoài Nghệ An.",
    ),
    _more(
        "htx-dua-dong-giao",
        "Hợp tác xã Dứa Đồng Giao",
        "Dứa Đồng Giao",
        37,
        "CROPS",
        85,
        2009,
        "Dứa (thơm, khóm) Đồng Giao, Ninh Bình.",
    ),
    _more(
        "htx-tom-su-nam-can",
        "Hợp tác xã Tôm sú Năm Căn",
        "Tôm sú Năm Căn",
        96,
        "FISHERY",
        65,
        2012,
        "Tôm sú sinh thái rừng ngập mặn Cà Mau.",
    ),
    _more(
        "htx-muc-kho-van-don",
        "Hợp tác xã Hải sản Vân Đồn",
        "Mực khô Vân Đồn",
        22,
        "FISHERY",
        42,
        2015,
        "Mực khô, chả mực Quảng Ninh.",
    ),
    _more(
        "htx-mac-ca-tam-duong",
        "Hợp tác xã Mắc ca Tam Đường",
        "Mắc ca Lai Châu",
        12,
        "CROPS",
        55,
        2018,
        "Hạt mắc ca Tam Đường, Lai Châu.",
    ),
    _more(
        "htx-lac-nghi-loc",
        "Hợp tác xã Lạc Nghi Lộc",
        "Lạc Nghệ An",
        40,
        "CROPS",
        50,
        2011,
        "Lạc (đậu phộng) đỏ Nghi Lộc.",
    ),
    _more(
        "htx-gom-bat-trang",
        "Hợp tác xã Gốm sứ Bát Tràng",
        "Gốm Bát Tràng",
        1,
        "HANDICRAFT",
        45,
        2006,
        "Gốm sứ làng nghề Bát Tràng, Hà Nội.",
    ),
    _more(
        "htx-may-tre-dan-thai-binh",
        "Tổ hợp tác Mây tre đan Thái Bình",
        "Mây tre Thái Bình",
        33,
        "HANDICRAFT",
        26,
        2010,
        "Giỏ, khay mây tre (Thái Bình cũ, nay Hưng Yên).",
    ),
    _more(
        "htx-non-la-hue",
        "Tổ hợp tác Nón lá Phú Cam",
        "Nón lá Huế",
        46,
        "HANDICRAFT",
        20,
        2012,
        "Nón lá bài thơ làng Phú Cam, Huế.",
    ),
    _more(
        "htx-do-go-thanh-hoa",
        "Hợp tác xã Đồ gỗ Đông Sơn",
        "Đồ gỗ Đông Sơn",
        38,
        "HANDICRAFT",
        32,
        2014,
        "Đồ gỗ mỹ nghệ Thanh Hóa.",
    ),
    _more(
        "htx-tinh-dau-sa-quang-tri",
        "Hợp tác xã Tinh dầu Cam Lộ",
        "Tinh dầu Quảng Trị",
        44,
        "PROCESSING",
        24,
        2017,
        "Tinh dầu sả, tràm Quảng Trị.",
    ),
    _more(
        "htx-ot-binh-son",
        "Hợp tác xã Ớt Bình Sơn",
        "Ớt Quảng Ngãi",
        51,
        "CROPS",
        38,
        2016,
        "Ớt và tỏi Lý Sơn, Quảng Ngãi.",
    ),
    _more(
        "htx-duoc-lieu-sa-pa",
        "Hợp tác xã Dược liệu Sa Pa",
        "Dược liệu Sa Pa",
        15,
        "CROPS",
        30,
        2018,
        "Trà thảo mộc, dược liệu người Dao đỏ Sa Pa.",
    ),
    _more(
        "htx-rau-huu-co-hung-yen",
        "Hợp tác xã Rau hữu cơ Văn Giang",
        "Rau Văn Giang",
        33,
        "CROPS",
        26,
        2019,
        "Rau hữu cơ PGS cho Hà Nội.",
    ),
    _more(
        "htx-keo-dua-ben-tre",
        "Hợp tác xã Dừa Mỏ Cày",
        "Dừa Bến Tre",
        86,
        "PROCESSING",
        48,
        2013,
        "Dừa và kẹo dừa (Bến Tre cũ, nay Vĩnh Long).",
    ),
    _more(
        "htx-vai-thanh-ha",
        "Hợp tác xã Vải thiều Thanh Hà",
        "Vải Thanh Hà",
        31,
        "CROPS",
        70,
        2010,
        "Vải thiều Thanh Hà (Hải Dương cũ), chờ xác minh.",
        status="SUBMITTED",
    ),
    _more(
        "htx-sam-ngoc-linh",
        "Hợp tác xã Sâm Ngọc Linh",
        "Sâm Ngọc Linh",
        51,
        "CROPS",
        22,
        2020,
        "Sâm Ngọc Linh (Kon Tum cũ, nay Quảng Ngãi), chờ xác minh.",
        status="SUBMITTED",
    ),
]


def platform_admins_group():
    """The group holding `market.platform_admin` (migration 0005 creates it; a flushed test
    database may have lost it)."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=PLATFORM_ADMIN_GROUP)
    group.permissions.add(
        Permission.objects.get(content_type__app_label="market", codename="platform_admin")
    )
    return group


def seed(log: Callable[[str], object]) -> str:
    with transaction.atomic():
        admin, _ = User.objects.get_or_create(
            email=ADMIN_EMAIL,
            defaults={"is_staff": True, "is_superuser": True, "full_name": "Quản trị viên"},
        )
        if not admin.password or not admin.has_usable_password():  # get_or_create leaves ""
            admin.set_password(ADMIN_PASSWORD)
            admin.save()
        admin.groups.add(platform_admins_group())
        buyer = _user("buyer@htx.market", "Nguyễn Thị Lan")
        BuyerProfile.objects.get_or_create(user=buyer)
        importer = _user("importer@example.de", "Anna Schmidt", language="en")
        BuyerProfile.objects.get_or_create(
            user=importer,
            defaults={
                "kind": "COMPANY",
                "company_name": "Hamburg Spice Import GmbH",
                "country": "DE",
            },
        )
        created = sum(_cooperative(i, row, admin) for i, row in enumerate(COOPERATIVES))
    log(
        f"{created} new cooperatives, logins: {ADMIN_EMAIL}, buyer@htx.market, owner+<slug>@htx.market"
    )
    return f"{len(COOPERATIVES)} cooperatives ({created} new), 3 users"


@functools.cache
def _demo_password_hash(hashers: tuple[str, ...]) -> str:
    # One hash shared by every demo login (per hasher setting): hashing it again for each of the
    # ~50 owners would spend most of seed_demo's time in PBKDF2.
    return make_password(DEMO_PASSWORD)


def _user(email, name, language="vi"):
    user, made = User.objects.get_or_create(
        email=email, defaults={"full_name": name, "language": language}
    )
    if made:
        user.password = _demo_password_hash(tuple(settings.PASSWORD_HASHERS))
        user.save(update_fields=["password"])
    return user


def example_tax_code(n: int) -> str:
    """A valid 10-digit MST for demo and test data (python-stdnum checks the last digit)."""
    while True:
        base = f"{(420000000 + n * 7919) % 10**9:09d}"
        for last in "0123456789":
            if mst.is_valid(base + last):
                return base + last
        n += 1000003  # this base has no valid check digit: try another


def _cooperative(i, row, admin) -> int:
    slug, legal, trading, province, sector, kind, status, members, founded, desc = row
    if Cooperative.objects.filter(slug=slug).exists():
        return 0
    province = Province.objects.get(code=province)
    now = timezone.now()
    coop = Cooperative.objects.create(
        slug=slug,
        legal_name=legal,
        trading_name=trading,
        province=province,
        ward=Ward.objects.filter(province=province).order_by("code").first(),
        registration_number=f"{province.code:02d}07{i:06d}",
        tax_code=example_tax_code(i),
        kind=kind,
        sector=sector,
        is_agricultural=sector in Cooperative.AGRICULTURAL_SECTORS,
        member_count=members,
        year_founded=founded,
        description_vi=desc,
        description_en="",
        phone=f"09{i:08d}",
        email=f"lienhe@{slug}.vn",
        representative="Giám đốc HTX",
        address="Trụ sở HTX",
        bank_bin="970405",
        bank_account=f"1500{i:09d}",
        bank_account_name=legal.upper()[:50],
        status=status,
        submitted_at=now if status != "DRAFT" else None,
        verified_at=now if status == "VERIFIED" else None,
    )
    owner = _user(f"owner+{slug}@htx.market", f"Chủ nhiệm {trading}")
    Membership.objects.create(user=owner, cooperative=coop, role=Membership.Role.OWNER)
    if status != "DRAFT":
        VerificationEvent.objects.create(
            cooperative=coop, actor=owner, from_status="DRAFT", to_status="SUBMITTED"
        )
    if status == "VERIFIED":
        VerificationEvent.objects.create(
            cooperative=coop, actor=admin, from_status="SUBMITTED", to_status="VERIFIED"
        )
    return 1
