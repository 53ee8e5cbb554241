"""Demo catalogue data: per cooperative, its product lines; each line is multiplied by grades and
packs into realistic variants (about 170 per cooperative, 2,000+ in all)."""

# pack: (label_vi, label_en, unit, kg (or litres/pieces) per unit, moq, step, price factor per kg, export)
DRY_PACKS = [
    ("túi 250 g", "250 g pouch", "GOI", 0.25, 4, 1, 1.35, False),
    ("túi zip 500 g", "500 g zip pouch", "GOI", 0.5, 2, 1, 1.25, False),
    ("hộp giấy 1 kg", "1 kg gift box", "HOP", 1, 1, 1, 1.2, False),
    ("bao 5 kg", "5 kg bag", "BAO", 5, 1, 1, 1.05, False),
    ("bao PP 25 kg", "25 kg PP sack", "BAO", 25, 2, 1, 0.95, False),
    ("hàng xá theo kg", "loose, per kg", "KG", 1, 10, 0.5, 1.0, False),
    ("xuất khẩu theo tấn", "export, per tonne", "TAN", 1000, 1, 1, 0.85, True),
]
LIQUID_PACKS = [
    ("chai 250 ml", "250 ml bottle", "CHAI", 0.25, 2, 1, 1.4, False),
    ("chai 500 ml", "500 ml bottle", "CHAI", 0.5, 1, 1, 1.25, False),
    ("chai 1 lít", "1 litre bottle", "CHAI", 1, 1, 1, 1.15, False),
    ("hộp quà 2 chai 500 ml", "gift box, 2 × 500 ml", "HOP", 1, 1, 1, 1.45, False),
    ("can 5 lít", "5 litre can", "LIT", 1, 5, 1, 1.0, False),
    ("phuy 20 lít xuất khẩu", "20 litre drum, export", "LIT", 1, 20, 20, 0.9, True),
]
FRUIT_PACKS = [
    ("theo kg", "per kg", "KG", 1, 2, 0.5, 1.0, False),
    ("thùng 5 kg", "5 kg carton", "THUNG", 5, 1, 1, 1.05, False),
    ("thùng 10 kg", "10 kg carton", "THUNG", 10, 1, 1, 1.0, False),
    ("hộp quà 3 kg", "3 kg gift box", "HOP", 3, 1, 1, 1.3, False),
    ("sọt 20 kg", "20 kg crate", "THUNG", 20, 2, 1, 0.92, False),
    ("container lạnh, theo tấn", "reefer container, per tonne", "TAN", 1000, 5, 1, 0.8, True),
]
CRAFT_PACKS = [
    ("cỡ nhỏ", "small", "CAI", 0.4, 2, 1, 1.0, False),
    ("cỡ vừa", "medium", "CAI", 0.8, 2, 1, 1.0, False),
    ("cỡ lớn", "large", "CAI", 1.5, 1, 1, 1.0, False),
    ("bộ 3 chiếc", "set of 3", "BO", 2.5, 1, 1, 0.95, False),
    ("thùng 20 chiếc xuất khẩu", "export carton of 20", "THUNG", 16, 5, 1, 0.85, True),
]

GRADES = {
    "coffee": [("S18", "screen 18"), ("S16", "screen 16"), ("Culi", "peaberry"), ("chế biến ướt", "washed")],
    "rice": [("vụ mới", "new crop"), ("loại 1", "grade 1"), ("hữu cơ", "organic")],
    "spice": [("loại 1", "grade 1"), ("loại đặc biệt", "premium"), ("hàng xuất khẩu", "export grade")],
    "tea": [("loại 1", "grade 1"), ("đặc biệt", "premium"), ("vụ xuân", "spring harvest")],
    "honey": [("nguyên chất", "raw"), ("vụ xuân", "spring harvest"), ("lọc lạnh", "cold-filtered")],
    "seafood": [("loại 1", "grade 1"), ("size lớn", "large"), ("size vừa", "medium")],
    "nuts": [("W240", "W240"), ("W320", "W320"), ("rang muối", "salted roasted"), ("còn vỏ lụa", "skin-on")],
    "craft": [("màu tự nhiên", "natural"), ("nhuộm nâu", "brown stained"), ("đan hoa văn", "patterned")],
    "fruit": [("loại 1", "grade 1"), ("xuất khẩu", "export grade"), ("VietGAP", "VietGAP")],
    "veg": [("loại 1", "grade 1"), ("hữu cơ", "organic"), ("thủy canh", "hydroponic")],
}

# line: (code, name_vi, name_en, category slug, family, packs, price per kg/litre/piece, HS code, image theme)
LINES = {
    "htx-ca-phe-ea-tul": [
        ("ROB", "Cà phê Robusta nhân xanh", "Robusta green coffee", "ca-phe-nhan-xanh", "coffee", DRY_PACKS, 118_000,
         "0901.11", "coffee"),
        ("ARA", "Cà phê Arabica Cầu Đất", "Cau Dat Arabica coffee", "ca-phe-arabica", "coffee", DRY_PACKS, 210_000,
         "0901.11", "coffee"),
        ("RXM", "Cà phê Robusta rang mộc", "Robusta coffee, plain roast", "ca-phe-rang-xay", "coffee", DRY_PACKS,
         230_000, "0901.21", "coffee"),
        ("RXB", "Cà phê rang xay pha phin", "Ground coffee for phin filter", "ca-phe-rang-xay", "coffee", DRY_PACKS,
         190_000, "0901.21", "coffee"),
    ],
    "htx-lua-gao-soc-trang": [
        ("ST25", "Gạo ST25", "ST25 fragrant rice", "gao-thom", "rice", DRY_PACKS, 38_000, "1006.30", "rice"),
        ("ST24", "Gạo ST24", "ST24 fragrant rice", "gao-thom", "rice", DRY_PACKS, 33_000, "1006.30", "rice"),
        ("LUT", "Gạo lứt ST25", "ST25 brown rice", "gao-lut", "rice", DRY_PACKS, 45_000, "1006.20", "rice"),
        ("NEP", "Gạo nếp cái hoa vàng", "Yellow-flower glutinous rice", "gao-nep", "rice", DRY_PACKS, 36_000,
         "1006.30", "rice"),
    ],
    "htx-hoi-que-lang-son": [
        ("HOI", "Hoa hồi khô Văn Quan", "Van Quan dried star anise", "hoi", "spice", DRY_PACKS, 160_000, "0909.61",
         "spice"),
        ("QTH", "Quế thanh", "Cassia sticks", "que", "spice", DRY_PACKS, 90_000, "0906.11", "spice"),
        ("QOG", "Quế ống cuộn", "Cassia quills", "que", "spice", DRY_PACKS, 110_000, "0906.11", "spice"),
        ("TDH", "Tinh dầu hồi", "Star anise essential oil", "tinh-dau", "spice", LIQUID_PACKS, 1_800_000, "3301.29",
         "oil"),
    ],
    "htx-che-tan-cuong": [
        ("TCM", "Chè Tân Cương móc câu", "Tan Cuong hook-leaf green tea", "che-xanh", "tea", DRY_PACKS, 420_000,
         "0902.10", "tea"),
        ("TCN", "Chè Tân Cương nõn tôm", "Tan Cuong bud tea", "che-xanh", "tea", DRY_PACKS, 650_000, "0902.10", "tea"),
        ("CDN", "Chè đen Thái Nguyên", "Thai Nguyen black tea", "che-den", "tea", DRY_PACKS, 240_000, "0902.30",
         "tea"),
        ("SHT", "Chè Shan tuyết cổ thụ", "Ancient Shan Tuyet tea", "che-shan-tuyet", "tea", DRY_PACKS, 900_000,
         "0902.10", "tea"),
    ],
    "htx-tieu-phu-quoc": [
        ("TDE", "Tiêu đen Phú Quốc", "Phu Quoc black pepper", "tieu", "spice", DRY_PACKS, 165_000, "0904.11",
         "pepper"),
        ("TSO", "Tiêu sọ (tiêu trắng)", "White pepper", "tieu", "spice", DRY_PACKS, 260_000, "0904.11", "pepper"),
        ("TDO", "Tiêu đỏ chín cây", "Red ripe pepper", "tieu", "spice", DRY_PACKS, 380_000, "0904.11", "pepper"),
        ("NMP", "Nước mắm Phú Quốc 40 độ đạm", "Phu Quoc fish sauce 40°N", "nuoc-mam", "seafood", LIQUID_PACKS,
         120_000, "2103.90", "oil"),
    ],
    "htx-mat-ong-mocchau": [
        ("MCP", "Mật ong hoa cà phê", "Coffee blossom honey", "mat-ong-hoa", "honey", LIQUID_PACKS, 260_000,
         "0409.00", "honey"),
        ("MNH", "Mật ong hoa nhãn", "Longan blossom honey", "mat-ong-hoa", "honey", LIQUID_PACKS, 300_000, "0409.00",
         "honey"),
        ("MBH", "Mật ong hoa bạc hà", "Mint blossom honey", "mat-ong-hoa", "honey", LIQUID_PACKS, 450_000, "0409.00",
         "honey"),
        ("PHH", "Phấn hoa ong", "Bee pollen", "san-pham-ong", "honey", DRY_PACKS, 500_000, "0410.90", "honey"),
    ],
    "htx-thuy-san-ca-mau": [
        ("TKH", "Tôm khô Rạch Gốc", "Rach Goc dried shrimp", "hai-san-kho", "seafood", DRY_PACKS, 1_100_000,
         "0306.95", "seafood"),
        ("CKH", "Khô cá lóc", "Dried snakehead fish", "hai-san-kho", "seafood", DRY_PACKS, 380_000, "0305.59",
         "seafood"),
        ("MKH", "Mực khô", "Dried squid", "hai-san-kho", "seafood", DRY_PACKS, 950_000, "0307.49", "seafood"),
        ("BKM", "Ba khía muối", "Salted marsh crab", "hai-san-kho", "seafood", DRY_PACKS, 160_000, "0306.39",
         "seafood"),
    ],
    "htx-dieu-binh-phuoc": [
        ("DNH", "Hạt điều nhân", "Cashew kernels", "hat-dieu", "nuts", DRY_PACKS, 230_000, "0801.32", "nuts"),
        ("DRM", "Hạt điều rang muối", "Salted roasted cashews", "hat-dieu", "nuts", DRY_PACKS, 280_000, "0801.32",
         "nuts"),
        ("MCA", "Hạt mắc ca sấy nứt vỏ", "Cracked macadamia nuts", "mac-ca", "nuts", DRY_PACKS, 320_000, "0802.62",
         "nuts"),
        ("LAC", "Lạc (đậu phộng) rang", "Roasted peanuts", "lac-dau-phong", "nuts", DRY_PACKS, 85_000, "1202.42",
         "nuts"),
    ],
    "htx-may-tre-dan": [
        ("GMY", "Giỏ mây đan tay", "Hand-woven rattan basket", "may-tre-dan", "craft", CRAFT_PACKS, 180_000,
         "4602.12", "craft"),
        ("KTR", "Khay tre ép", "Pressed bamboo tray", "may-tre-dan", "craft", CRAFT_PACKS, 120_000, "4602.11",
         "craft"),
        ("DMY", "Đèn mây trang trí", "Rattan pendant lamp", "may-tre-dan", "craft", CRAFT_PACKS, 450_000, "9405.50",
         "craft"),
        ("HBE", "Hộp bèo tây đựng đồ", "Water hyacinth storage box", "may-tre-dan", "craft", CRAFT_PACKS, 210_000,
         "4602.19", "craft"),
        ("TCO", "Thảm cói", "Sedge mat", "may-tre-dan", "craft", CRAFT_PACKS, 260_000, "4601.29", "craft"),
    ],
    "htx-trai-cay-tien-giang": [
        ("XHL", "Xoài cát Hòa Lộc", "Hoa Loc mango", "xoai", "fruit", FRUIT_PACKS, 65_000, "0804.50", "mango"),
        ("SRR", "Sầu riêng Ri6", "Ri6 durian", "sau-rieng", "fruit", FRUIT_PACKS, 90_000, "0810.60", "durian"),
        ("TLD", "Thanh long ruột đỏ", "Red-flesh dragon fruit", "thanh-long", "fruit", FRUIT_PACKS, 30_000,
         "0810.90", "dragon"),
        ("KCD", "Dứa (thơm, khóm) Cầu Đúc", "Cau Duc pineapple", "dua-thom-khom", "fruit", FRUIT_PACKS, 18_000,
         "0804.30", "pineapple"),
        ("XSD", "Xoài sấy dẻo", "Soft dried mango", "trai-cay-say", "fruit", DRY_PACKS, 260_000, "0813.40", "mango"),
    ],
    "htx-nong-san-bac-giang": [
        ("VLN", "Vải thiều Lục Ngạn", "Luc Ngan lychee", "vai-nhan", "fruit", FRUIT_PACKS, 35_000, "0810.90",
         "lychee"),
        ("NGO", "Ngô (bắp) nếp", "Waxy corn (maize)", "ngo-bap", "veg", FRUIT_PACKS, 15_000, "0709.99", "corn"),
        ("TLH", "Thịt lợn (heo) bản", "Native black pork", "thit-lon-heo", "veg", FRUIT_PACKS, 160_000, "0203.19",
         "pork"),
        ("SAN", "Sắn (khoai mì) lát khô", "Dried cassava chips", "san-khoai-mi", "veg", DRY_PACKS, 9_000,
         "0714.10", "cassava"),
    ],
    "htx-rau-da-lat": [
        ("XLA", "Xà lách thủy canh", "Hydroponic lettuce", "rau-la", "veg", FRUIT_PACKS, 55_000, "0705.11", "veg"),
        ("CCH", "Cà chua beef Đà Lạt", "Da Lat beef tomato", "cu-qua", "veg", FRUIT_PACKS, 35_000, "0702.00", "veg"),
        ("KLN", "Khoai lang mật", "Honey sweet potato", "cu-qua", "veg", FRUIT_PACKS, 30_000, "0714.20", "veg"),
        ("NDN", "Nấm đông cô tươi", "Fresh shiitake", "nam", "veg", FRUIT_PACKS, 140_000, "0709.59", "veg"),
    ],
}

SEASONS = {"mango": [3, 4, 5, 6], "durian": [5, 6, 7], "lychee": [5, 6, 7], "pineapple": [3, 4, 5, 6, 7, 8],
           "dragon": list(range(1, 13)), "corn": [6, 7, 8, 9]}

# theme -> (background top, background bottom, blob colours, label)
THEMES = {
    "coffee": ((92, 58, 33), (46, 28, 16), [(111, 78, 55), (140, 94, 60), (70, 45, 25)], "COFFEE"),
    "rice": ((245, 240, 225), (210, 200, 170), [(255, 252, 240), (235, 228, 205)], "RICE"),
    "spice": ((150, 70, 35), (90, 35, 20), [(170, 90, 40), (120, 55, 30)], "SPICE"),
    "pepper": ((50, 45, 40), (20, 18, 16), [(40, 35, 30), (90, 80, 70), (150, 30, 30)], "PEPPER"),
    "oil": ((230, 200, 120), (180, 140, 60), [(250, 225, 150), (200, 160, 80)], "OIL"),
    "tea": ((90, 140, 70), (40, 80, 40), [(110, 160, 80), (60, 110, 50)], "TEA"),
    "honey": ((240, 180, 40), (190, 120, 20), [(255, 200, 60), (220, 150, 30)], "HONEY"),
    "seafood": ((230, 140, 90), (170, 80, 50), [(240, 160, 110), (200, 100, 70)], "SEAFOOD"),
    "nuts": ((225, 200, 160), (170, 140, 100), [(235, 215, 175), (200, 170, 120)], "NUTS"),
    "craft": ((200, 170, 120), (140, 110, 70), [(180, 150, 100), (120, 90, 50)], "CRAFT"),
    "mango": ((250, 200, 60), (220, 140, 30), [(255, 210, 70), (240, 170, 40)], "MANGO"),
    "durian": ((160, 170, 60), (100, 110, 30), [(190, 190, 80), (130, 140, 40)], "DURIAN"),
    "dragon": ((220, 50, 110), (150, 20, 70), [(240, 70, 130), (120, 180, 60)], "DRAGON FRUIT"),
    "pineapple": ((240, 210, 70), (150, 160, 40), [(250, 220, 90), (90, 140, 40)], "PINEAPPLE"),
    "lychee": ((200, 50, 60), (130, 20, 40), [(220, 70, 80), (250, 240, 230)], "LYCHEE"),
    "corn": ((245, 220, 110), (200, 170, 50), [(250, 230, 130), (230, 200, 80)], "CORN"),
    "pork": ((220, 150, 150), (160, 90, 90), [(230, 170, 170), (250, 230, 225)], "PORK"),
    "cassava": ((230, 220, 200), (170, 150, 120), [(240, 235, 220), (150, 110, 80)], "CASSAVA"),
    "veg": ((110, 180, 80), (50, 120, 40), [(130, 200, 90), (200, 60, 40)], "VEGETABLES"),
}
