"""Fixture products for the relevance test set (tests/unit/test_search_relevance.py), loaded next to
the demo catalogue: products the demo does not have, with the traps buyers and sellers create
(synonyms in brackets, long descriptions repeating a word, places in names, former provinces,
SKUs), spread over cooperatives whose names buyers type."""

from catalog.models import Product
from market.models import Province
from tests.factories.catalog import CategoryFactory, ProductFactory
from tests.factories.market import CooperativeFactory

CATEGORIES = {  # key: (vi, en)
    "tea": ("Chè", "Tea"),
    "coffee": ("Cà phê", "Coffee"),
    "nuts": ("Các loại hạt", "Nuts and seeds"),
    "fruit": ("Trái cây", "Fruit"),
    "spice": ("Gia vị", "Spices"),
    "seafood": ("Thủy sản", "Seafood"),
    "grain": ("Lương thực", "Staples"),
    "meat": ("Thịt", "Meat"),
    "craft": ("Thủ công mỹ nghệ", "Handicrafts"),
    "herbs": ("Dược liệu", "Medicinal herbs"),
    "sweets": ("Bánh kẹo", "Confectionery"),
}

COOPERATIVES = {  # key: (legal name, province code)
    "hoang_binh": ("Hợp tác xã Chè Hoàng Bình", 19),  # Thái Nguyên
    "krong_pac": ("Hợp tác xã Nông nghiệp Krông Pắc", 66),  # Đắk Lắk
    "van_quan": ("Hợp tác xã Lâm sản Bình Gia", 20),  # Lạng Sơn
    "nam_can": ("Hợp tác xã Thủy sản Đất Mũi", 96),  # Cà Mau
    "cau_ke": ("Hợp tác xã Dừa sáp Cầu Kè", 86),  # Vĩnh Long (formerly Trà Vinh)
    "thanh_ha": ("Hợp tác xã Vải thiều Thanh Hà", 31),  # Hải Phòng (formerly Hải Dương)
    "ngoc_linh": ("Hợp tác xã Sâm Ngọc Linh Tu Mơ Rông", 51),  # Quảng Ngãi (formerly Kon Tum)
    "meo_vac": ("Hợp tác xã Nông sản Mèo Vạc", 8),  # Tuyên Quang (formerly Hà Giang)
    "phu_vinh": ("Hợp tác xã Mây tre Chương Mỹ", 1),  # Hà Nội
    "ly_son": ("Hợp tác xã Tỏi Lý Sơn", 51),  # Quảng Ngãi
    "tay_ninh": ("Hợp tác xã Nông sản Tây Ninh", 80),
    "muong": ("Hợp tác xã Chăn nuôi Mường Động", 25),  # Phú Thọ (formerly Hòa Bình)
}

LONG = " ".join(["Ngon, thơm, đặc sản quê hương, quà biếu ý nghĩa."] * 6)

# key: (name_vi, name_en, category, cooperative, sku, description)
PRODUCTS = {
    "tea_tan_cuong": (
        "Chè xanh Tân Cương Thái Nguyên",
        "Thai Nguyen Tan Cuong green tea",
        "tea",
        "hoang_binh",
        "HB-CHE-001",
        "Búp chè một tôm hai lá, sao tay trên chảo gang.",
    ),
    "tea_bud": (
        "Chè búp khô Hoàng Bình",
        "Hoang Binh dried tea buds",
        "tea",
        "hoang_binh",
        "HB-CHE-002",
        "Chè búp sấy khô, nước xanh, vị chát dịu.",
    ),
    "cake_with_tea_words": (  # a long description repeating the tea's words (the PG trap)
        "Bánh cốm Hàng Than",
        "Green rice flake cake",
        "sweets",
        "hoang_binh",
        "HB-BANH-01",
        "Bánh cốm ăn kèm chè xanh Thái Nguyên. Chè Tân Cương, chè xanh, chè Thái Nguyên, chè "
        "Tân Cương Thái Nguyên: uống chè xanh với bánh cốm. " + LONG,
    ),
    "coffee_krong_pac": (
        "Cà phê Robusta Krông Pắc",
        "Krong Pac Robusta coffee",
        "coffee",
        "krong_pac",
        "KP-CF-001",
        "Cà phê nhân Robusta hái chín, phơi giàn.",
    ),
    "coffee_weasel": (
        "Cà phê chồn Buôn Ma Thuột",
        "Buon Ma Thuot weasel coffee",
        "coffee",
        "krong_pac",
        "KP-CF-002",
        "Cà phê chồn rang mộc.",
    ),
    "avocado": (
        "Bơ sáp 034 Krông Pắc",
        "Krong Pac 034 butter avocado",
        "fruit",
        "krong_pac",
        "KP-BO-034",
        "Bơ sáp dẻo, hạt nhỏ. " + LONG,
    ),
    "peanut_bracket": (
        "Lạc (đậu phộng) nhân đỏ Nghệ An",
        "Nghe An red-skin peanuts",
        "nuts",
        "tay_ninh",
        "TN-LAC-01",
        "Lạc nhân đỏ, hạt chắc.",
    ),
    "pineapple_bracket": (
        "Dứa (thơm, khóm) Tam Dương",
        "Tam Duong pineapple",
        "fruit",
        "muong",
        "MD-DUA-01",
        "Dứa Queen ngọt đậm.",
    ),
    "star_anise": (
        "Hoa hồi Văn Quan vụ thu",
        "Van Quan autumn star anise",
        "spice",
        "van_quan",
        "VQ-HOI-09",
        "Hồi tám cánh phơi khô.",
    ),
    "cinnamon_oil": (
        "Tinh dầu quế Văn Quan",
        "Van Quan cinnamon oil",
        "spice",
        "van_quan",
        "VQ-QUE-02",
        "Chưng cất từ vỏ quế.",
    ),
    "shrimp": (
        "Tôm khô Năm Căn loại đặc biệt",
        "Nam Can premium dried shrimp",
        "seafood",
        "nam_can",
        "NC-TOM-01",
        "Tôm đất phơi nắng.",
    ),
    "crab": (
        "Cua gạch Cà Mau",
        "Ca Mau roe mud crab",
        "seafood",
        "nam_can",
        "NC-CUA-01",
        "Cua gạch son, giao sống.",
    ),
    "coconut": (
        "Dừa sáp Cầu Kè",
        "Cau Ke wax coconut",
        "fruit",
        "cau_ke",
        "CK-DUA-01",
        "Dừa sáp ruột đặc, đặc sản Trà Vinh.",
    ),
    "lychee": (
        "Vải thiều Thanh Hà sấy khô",
        "Thanh Ha dried lychee",
        "fruit",
        "thanh_ha",
        "TH-VAI-01",
        "Vải sấy than hoa.",
    ),
    "ginseng": (
        "Sâm Ngọc Linh 5 năm tuổi",
        "Ngoc Linh ginseng, 5 years",
        "herbs",
        "ngoc_linh",
        "NL-SAM-05",
        "Củ sâm trồng dưới tán rừng.",
    ),
    "ginseng_wine": (
        "Rượu sâm Ngọc Linh",
        "Ngoc Linh ginseng wine",
        "herbs",
        "ngoc_linh",
        "NL-RUOU-01",
        "Ngâm củ sâm trong rượu nếp.",
    ),
    "corn": (
        "Ngô nếp Mèo Vạc",
        "Meo Vac sticky corn",
        "grain",
        "meo_vac",
        "MV-NGO-01",
        "Ngô nếp trắng trồng trên núi đá.",
    ),
    "honey_mint": (
        "Mật ong bạc hà Mèo Vạc",
        "Meo Vac mint honey",
        "herbs",
        "meo_vac",
        "MV-MO-01",
        "Mật ong hoa bạc hà cao nguyên đá.",
    ),
    "basket": (
        "Giỏ mây tre đan Phú Vinh",
        "Phu Vinh rattan and bamboo basket",
        "craft",
        "phu_vinh",
        "PV-GIO-01",
        "Đan tay, sơn PU.",
    ),
    "garlic": (
        "Tỏi Lý Sơn cô đơn",
        "Ly Son single-clove garlic",
        "spice",
        "ly_son",
        "LS-TOI-01",
        "Tỏi một tép trồng trên cát núi lửa.",
    ),
    "onion": (
        "Hành tím Lý Sơn",
        "Ly Son shallots",
        "spice",
        "ly_son",
        "LS-HANH-01",
        "Hành tím củ nhỏ, thơm.",
    ),
    "tapioca": (
        "Tinh bột sắn Tây Ninh",
        "Tay Ninh tapioca starch",
        "grain",
        "tay_ninh",
        "TN-SAN-01",
        "Tinh bột khoai mì nguyên chất, không pha trộn.",
    ),
    "sesame": (
        "Vừng đen Tây Ninh",
        "Tay Ninh black sesame",
        "nuts",
        "tay_ninh",
        "TN-VUNG-01",
        "Vừng đen rang thơm.",
    ),
    "rice_paper": (
        "Bánh tráng phơi sương Trảng Bàng",
        "Trang Bang dew-dried rice paper",
        "grain",
        "tay_ninh",
        "TN-BT-01",
        "Bánh tráng nhúng sương đêm.",
    ),
    "pork": (
        "Thịt lợn Mường Động",
        "Muong Dong black pork",
        "meat",
        "muong",
        "MD-LON-01",
        "Lợn đen thả đồi.",
    ),
    "bamboo_shoot": (
        "Măng khô Mường Động",
        "Muong Dong dried bamboo shoots",
        "grain",
        "muong",
        "MD-MANG-01",
        "Măng nứa phơi khô.",
    ),
}


def build_fixtures() -> dict[str, Product]:
    """The fixture products above, published (purchasable), by key."""
    cats = {
        key: CategoryFactory(slug=f"rel-{key}", name_vi=vi, name_en=en)
        for key, (vi, en) in CATEGORIES.items()
    }
    coops = {
        key: CooperativeFactory(
            verified=True, legal_name=name, province=Province.objects.get(code=code)
        )
        for key, (name, code) in COOPERATIVES.items()
    }
    return {
        key: ProductFactory(
            cooperative=coops[coop],
            name_vi=vi,
            name_en=en,
            category=cats[cat],
            sku=sku,
            description_vi=description,
        )
        for key, (vi, en, cat, coop, sku, description) in PRODUCTS.items()
    }
