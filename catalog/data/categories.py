"""The category tree seeded by migration 0004: (slug, name_vi, name_en, children).

Kept as data (not in the migration body) so the demo seeder and tests share the same slugs.
"""

from collections.abc import Iterator
from typing import Any

# (slug, name_vi, name_en, children), children of the same shape.
TREE: list[tuple[str, str, str, list[Any]]] = [
    (
        "ca-phe",
        "Cà phê",
        "Coffee",
        [
            ("ca-phe-robusta", "Cà phê Robusta", "Robusta coffee", []),
            ("ca-phe-arabica", "Cà phê Arabica", "Arabica coffee", []),
            ("ca-phe-rang-xay", "Cà phê rang xay", "Roasted & ground coffee", []),
            ("ca-phe-nhan-xanh", "Cà phê nhân xanh", "Green coffee beans", []),
        ],
    ),
    (
        "gao",
        "Gạo",
        "Rice",
        [
            (
                "gao-thom",
                "Gạo thơm (ST25, ST24, Jasmine)",
                "Fragrant rice (ST25, ST24, Jasmine)",
                [],
            ),
            ("gao-nep", "Gạo nếp", "Glutinous rice", []),
            ("gao-lut", "Gạo lứt", "Brown rice", []),
            ("gao-huu-co", "Gạo hữu cơ", "Organic rice", []),
        ],
    ),
    (
        "trai-cay",
        "Trái cây",
        "Fruit",
        [
            ("xoai", "Xoài", "Mango", []),
            ("sau-rieng", "Sầu riêng", "Durian", []),
            ("thanh-long", "Thanh long", "Dragon fruit", []),
            ("dua-thom-khom", "Dứa (thơm, khóm)", "Pineapple", []),
            ("vai-nhan", "Vải, nhãn", "Lychee & longan", []),
            ("buoi-cam", "Bưởi, cam", "Pomelo & orange", []),
            ("trai-cay-say", "Trái cây sấy", "Dried fruit", []),
        ],
    ),
    (
        "rau-cu",
        "Rau củ",
        "Vegetables",
        [
            ("rau-la", "Rau ăn lá", "Leafy vegetables", []),
            ("cu-qua", "Củ, quả", "Root & fruit vegetables", []),
            ("san-khoai-mi", "Sắn (khoai mì)", "Cassava", []),
            ("ngo-bap", "Ngô (bắp)", "Maize (corn)", []),
            ("nam", "Nấm", "Mushrooms", []),
        ],
    ),
    (
        "thuy-san",
        "Thủy sản",
        "Seafood",
        [
            ("tom", "Tôm", "Shrimp", []),
            ("ca", "Cá", "Fish", []),
            ("hai-san-kho", "Hải sản khô", "Dried seafood", []),
            ("nuoc-mam", "Nước mắm", "Fish sauce", []),
        ],
    ),
    (
        "thit-trung",
        "Thịt, trứng",
        "Meat & eggs",
        [
            ("thit-lon-heo", "Thịt lợn (heo)", "Pork", []),
            ("thit-bo", "Thịt bò", "Beef", []),
            ("gia-cam", "Gia cầm", "Poultry", []),
            ("trung", "Trứng", "Eggs", []),
        ],
    ),
    (
        "gia-vi",
        "Gia vị",
        "Spices",
        [
            ("hoi", "Hồi", "Star anise", []),
            ("que", "Quế", "Cinnamon (cassia)", []),
            ("tieu", "Tiêu", "Pepper", []),
            ("ot", "Ớt", "Chilli", []),
            ("nghe-gung", "Nghệ, gừng", "Turmeric & ginger", []),
            ("sa", "Sả", "Lemongrass", []),
        ],
    ),
    (
        "che",
        "Chè",
        "Tea",
        [
            ("che-xanh", "Chè xanh", "Green tea", []),
            ("che-den", "Chè đen", "Black tea", []),
            ("che-shan-tuyet", "Chè Shan tuyết", "Shan Tuyet tea", []),
            ("tra-thao-moc", "Trà thảo mộc", "Herbal tea", []),
        ],
    ),
    (
        "mat-ong",
        "Mật ong",
        "Honey",
        [
            ("mat-ong-hoa", "Mật ong hoa", "Blossom honey", []),
            ("san-pham-ong", "Sản phẩm từ ong", "Bee products", []),
        ],
    ),
    (
        "hat",
        "Hạt",
        "Nuts & seeds",
        [
            ("hat-dieu", "Hạt điều", "Cashew nuts", []),
            ("mac-ca", "Mắc ca", "Macadamia", []),
            ("lac-dau-phong", "Lạc (đậu phộng)", "Peanuts", []),
            ("dau-do", "Đậu, đỗ", "Beans & pulses", []),
            ("vung-me", "Vừng (mè)", "Sesame", []),
        ],
    ),
    (
        "thu-cong-my-nghe",
        "Thủ công mỹ nghệ",
        "Handicrafts",
        [
            ("may-tre-dan", "Mây tre đan", "Rattan & bamboo", []),
            ("gom-su", "Gốm sứ", "Ceramics", []),
            ("det-may", "Dệt may thổ cẩm", "Brocade & textiles", []),
            ("do-go", "Đồ gỗ", "Woodwork", []),
        ],
    ),
    (
        "dac-san-ocop",
        "Đặc sản, OCOP",
        "Specialities & OCOP",
        [
            ("dac-san-vung-mien", "Đặc sản vùng miền", "Regional specialities", []),
            ("thuc-pham-che-bien", "Thực phẩm chế biến", "Processed foods", []),
            ("tinh-dau", "Tinh dầu", "Essential oils", []),
            ("duoc-lieu", "Dược liệu", "Medicinal herbs", []),
        ],
    ),
]


def flat() -> Iterator[tuple[str, str, str, str | None, int]]:
    """Yield (slug, name_vi, name_en, parent_slug, position) in parent-first order."""
    for i, (slug, vi, en, children) in enumerate(TREE):
        yield slug, vi, en, None, i
        for j, (cslug, cvi, cen, _) in enumerate(children):
            yield cslug, cvi, cen, slug, j
