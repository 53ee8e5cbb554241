"""A small, realistic catalog for search behaviour and relevance tests, and index helpers."""

from decimal import Decimal

from catalog.models import Certification, Product
from market.models import Cooperative, Province
from search import product_documents as documents
from tests.factories.catalog import CategoryFactory, ProductFactory
from tests.factories.market import CooperativeFactory

# key: (name_vi, name_en, category key, province code, price, extra)
CATALOG = {
    "robusta": (
        "Cà phê Robusta Đắk Lắk",
        "Dak Lak Robusta coffee",
        "coffee",
        66,
        120_000,
        {"incoterms": ["FOB", "CIF"]},
    ),
    "arabica": (
        "Cà phê Arabica Cầu Đất",
        "Cau Dat Arabica coffee",
        "coffee",
        68,
        250_000,
        {"incoterms": ["FOB"]},
    ),
    "star_anise": (
        "Hoa hồi khô Lạng Sơn",
        "Lang Son dried star anise",
        "spice",
        20,
        180_000,
        {"incoterms": ["FOB"]},
    ),
    "cinnamon": ("Quế Trà Bồng", "Tra Bong cinnamon bark", "spice", 51, 90_000, {}),
    "pepper": ("Hồ tiêu đen Phú Quốc", "Phu Quoc black pepper", "spice", 91, 160_000, {}),
    "cashew": (
        "Hạt điều rang muối Bình Phước",
        "Binh Phuoc roasted salted cashew nuts",
        "nut",
        75,
        320_000,
        {},
    ),
    "peanut_south": ("Đậu phộng rang tỏi", "Garlic roasted peanuts", "nut", 79, 70_000, {}),
    "peanut_north": ("Lạc nhân Nghệ An", "Nghe An shelled peanuts", "nut", 40, 55_000, {}),
    "corn_south": ("Bắp nếp Đồng Tháp", "Dong Thap sticky corn", "grain", 82, 25_000, {}),
    "corn_north": ("Ngô ngọt Sơn La", "Son La sweet corn", "grain", 14, 30_000, {}),
    "pork_south": ("Thịt heo rừng gác bếp", "Smoked wild boar", "meat", 12, 650_000, {}),
    "pork_north": ("Lợn cắp nách Hòa Bình", "Hoa Binh small pig", "meat", 25, 210_000, {}),
    "pineapple_south": ("Khóm Cầu Đúc Hậu Giang", "Cau Duc pineapple", "fruit", 92, 20_000, {}),
    "pineapple_north": ("Dứa Đồng Giao", "Dong Giao pineapple", "fruit", 37, 18_000, {}),
    "cassava": ("Khoai mì Tây Ninh", "Tay Ninh cassava", "grain", 80, 12_000, {}),
    "sesame": ("Mè đen rang", "Roasted black sesame", "nut", 38, 95_000, {}),
    "pomelo": ("Trái bưởi Năm Roi", "Nam Roi pomelo", "fruit", 86, 45_000, {}),
    "rice": (
        "Gạo ST25 Sóc Trăng",
        "ST25 fragrant rice",
        "grain",
        92,
        38_000,
        {"incoterms": ["FOB", "CFR"]},
    ),
    "honey": (
        "Mật ong hoa nhãn Hưng Yên",
        "Hung Yen longan flower honey",
        "honey",
        33,
        280_000,
        {},
    ),
    "shan_tea": ("Chè Shan tuyết Hà Giang", "Ha Giang Shan Tuyet tea", "tea", 8, 450_000, {}),
    "oolong": ("Trà Ô long Lâm Đồng", "Lam Dong oolong tea", "tea", 68, 390_000, {}),
    "fish_sauce": ("Nước mắm Phú Quốc", "Phu Quoc fish sauce", "seafood", 91, 85_000, {}),
    "lychee": ("Vải thiều Lục Ngạn", "Luc Ngan lychee", "fruit", 24, 60_000, {}),
    "dragon_fruit": (
        "Thanh long ruột đỏ Bình Thuận",
        "Binh Thuan red dragon fruit",
        "fruit",
        68,
        35_000,
        {},
    ),
    "mango": ("Xoài cát Hòa Lộc", "Hoa Loc mango", "fruit", 86, 75_000, {}),
    "durian": ("Sầu riêng Ri6", "Ri6 durian", "fruit", 86, 110_000, {}),
    "basa": ("Cá basa phi lê", "Basa fish fillet", "seafood", 82, 65_000, {}),
    "macadamia": ("Hạt mắc ca Tây Nguyên", "Macadamia nuts", "nut", 66, 400_000, {}),
}

CATEGORIES = {  # key: (slug, vi, en, parent key)
    "farm": ("nong-san", "Nông sản", "Farm produce", None),
    "coffee": ("ca-phe", "Cà phê", "Coffee", "farm"),
    "spice": ("gia-vi", "Gia vị", "Spices", "farm"),
    "nut": ("hat", "Các loại hạt", "Nuts and seeds", "farm"),
    "grain": ("luong-thuc", "Lương thực", "Staples", "farm"),
    "fruit": ("trai-cay", "Trái cây", "Fruit", "farm"),
    "tea": ("che", "Chè", "Tea", "farm"),
    "honey": ("mat-ong", "Mật ong", "Honey", "farm"),
    "meat": ("thit", "Thịt", "Meat", None),
    "seafood": ("thuy-san", "Thủy sản", "Seafood", None),
}


def build_catalog() -> dict:
    """Categories, two verified cooperatives, the products above, certifications and a few
    products that must never be found (draft, archived, unverified cooperative)."""
    cats = {}
    for key, (slug, vi, en, parent) in CATEGORIES.items():
        cats[key] = CategoryFactory(
            slug=f"t-{slug}", name_vi=vi, name_en=en, parent=cats.get(parent)
        )
    coop_a = CooperativeFactory(verified=True, legal_name="Hợp tác xã Nông nghiệp Ea Tu")
    coop_b = CooperativeFactory(verified=True, legal_name="Hợp tác xã Dịch vụ Xanh")
    products = {}
    for i, (key, (vi, en, cat, province, price, extra)) in enumerate(CATALOG.items()):
        products[key] = ProductFactory(
            cooperative=coop_a if i % 2 == 0 else coop_b,
            name_vi=vi,
            name_en=en,
            category=cats[cat],
            origin_province=Province.objects.get(pk=province),
            price_vnd=price,
            **extra,
        )
    products["basa"].stock_qty = Decimal("0")
    products["basa"].save()
    _certify(products["robusta"], "VIETGAP")
    _certify(products["honey"], "OCOP", stars=4)
    _certify(products["fish_sauce"], "OCOP", stars=5)
    _certify(products["shan_tea"], "OCOP", stars=3, valid_until="2000-01-01")  # expired: not shown
    _certify(
        products["rice"], "GLOBALGAP", status=Certification.Status.CLAIMED
    )  # unchecked: not shown
    hidden = {
        "draft": ProductFactory(
            cooperative=coop_a,
            name_vi="Cà phê Culi rang mộc",
            name_en="Culi coffee",
            category=cats["coffee"],
            status=Product.Status.DRAFT,
        ),
        "archived": ProductFactory(
            cooperative=coop_a,
            name_vi="Cà phê Moka",
            name_en="Moka coffee",
            category=cats["coffee"],
            status=Product.Status.ARCHIVED,
        ),
        "unverified": ProductFactory(
            cooperative=CooperativeFactory(status=Cooperative.Status.SUBMITTED),
            name_vi="Cà phê Excelsa",
            name_en="Excelsa coffee",
            category=cats["coffee"],
        ),
    }
    return {"products": products, "hidden": hidden, "categories": cats, "coops": (coop_a, coop_b)}


def _certify(product, kind, *, stars=None, valid_until=None, status=Certification.Status.VERIFIED):
    cert = Certification.objects.create(
        cooperative=product.cooperative,
        kind=kind,
        ocop_stars=stars,
        issuer="Sở NN&PTNT",
        number=f"{kind}-1",
        valid_from="2024-01-01",
        valid_until=valid_until,
        status=status,
    )
    cert.families.add(product.family)
    return cert


def index_everything(backend) -> int:
    """Fresh index holding every purchasable product, visible to search."""
    backend.clear()
    total = sum(backend.index_many(docs) for docs in documents.iter_all())
    backend.refresh()
    return total


# Settings the engine backends read their URL from, and the test environment variable for each.
ENGINE_URL_VARS = {
    "elasticsearch": ("ELASTICSEARCH_URL", "ELASTICSEARCH_TEST_URL"),
    "opensearch": ("OPENSEARCH_URL", "OPENSEARCH_TEST_URL"),
}
