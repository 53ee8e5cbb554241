"""Demo people and cooperatives. Logins are listed in the README."""

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

DEMO_PASSWORD = "demo12345"
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
        "SUBMITTED",
        90,
        2008,
        "Vải thiều Lục Ngạn tươi và sấy, lạc, ngô.",
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


def platform_admins_group():
    """The group holding `market.platform_admin` (migration 0004 creates it; a flushed test
    database may have lost it)."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=PLATFORM_ADMIN_GROUP)
    group.permissions.add(
        Permission.objects.get(content_type__app_label="market", codename="platform_admin")
    )
    return group


def seed(log) -> str:
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


def _user(email, name, language="vi"):
    user, made = User.objects.get_or_create(
        email=email, defaults={"full_name": name, "language": language}
    )
    if made:
        user.set_password(DEMO_PASSWORD)
        user.save()
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
