"""The import template: Vietnamese headers (what cooperatives see), the field each fills, and
example rows. Headers are matched after folding, so "Ma SKU" and "MÃ SKU" work too."""

import io
from collections.abc import Iterable
from typing import Any

from market.reference.admin_units import fold
from market.shared.csvsafe import SafeWriter

# (header, field, required, example)
COLUMNS = [
    ("Mã SKU", "sku", True, "CF-ROB-1KG"),
    # Rows with the same key become variants of one product (family); empty: a product of its own.
    ("Mã nhóm sản phẩm", "family_key", False, "CF-ROB"),
    ("Quy cách", "opt_pack", False, "túi 1 kg"),
    ("Phân loại", "opt_grade", False, "S18"),
    ("Năm vụ", "opt_crop_year", False, "2025"),
    ("Mẫu", "opt_style", False, ""),
    ("Tên sản phẩm", "name_vi", True, "Cà phê Robusta rang mộc 1 kg"),
    ("Tên tiếng Anh", "name_en", False, "Robusta coffee, medium roast, 1 kg"),
    ("Danh mục", "category", True, "Cà phê Robusta"),
    ("Đơn vị", "unit", True, "kg"),
    ("Giá (VND)", "price_vnd", True, "185.000"),
    ("Tồn kho", "stock_qty", False, "250"),
    ("SL tối thiểu", "min_order_qty", False, "2"),
    ("Bước đặt hàng", "order_step", False, "1"),
    ("Khối lượng (kg/đơn vị)", "unit_weight_kg", False, "1,05"),
    ("Tỉnh xuất xứ", "origin_province", False, "Đắk Lắk"),
    ("Mô tả", "description_vi", False, "Cà phê Robusta Cư M'gar, thu hái chín, phơi giàn."),
    (
        "Mô tả tiếng Anh",
        "description_en",
        False,
        "Cu M'gar Robusta, ripe-picked, raised-bed dried.",
    ),
    ("Mã HS", "hs_code", False, "0901.21"),
    ("Điều kiện giao hàng (Incoterms)", "incoterms", False, "FOB, CIF"),
    ("Quy cách đóng gói", "packaging", False, "Túi zip 1 kg, thùng 20 túi"),
    ("Cảng xếp hàng", "port_of_loading", False, "Cát Lái"),
    ("Thời gian chuẩn bị (ngày)", "lead_time_days", False, "3"),
]
HEADERS = [c[0] for c in COLUMNS]
REQUIRED = [c[1] for c in COLUMNS if c[2]]
HEADER_OF = {c[1]: c[0] for c in COLUMNS}
# Full header, the header without its "(…)" note ("Giá"), and the field name itself.
_BY_FOLDED = (
    {fold(c[0]).split("(")[0].strip(): c[1] for c in COLUMNS}
    | {fold(c[0]): c[1] for c in COLUMNS}
    | {c[1]: c[1] for c in COLUMNS}
)


def field_for_header(header: object) -> str | None:
    key = fold(str(header or "")).strip()
    return _BY_FOLDED.get(key) or _BY_FOLDED.get(key.split("(")[0].strip())


def template_csv() -> bytes:
    """UTF-8 with BOM, so Excel on Windows shows the diacritics correctly."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(HEADERS)
    writer.writerow([c[3] for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# What each column means, for the template's instruction sheet and the import page.
HELP = {
    "sku": "Mã riêng của sản phẩm trong HTX (không trùng). Nhập lại cùng mã sẽ cập nhật sản phẩm.",
    "name_vi": "Tên người mua thấy, gồm loại, quy cách: “Gạo ST25 túi 5 kg”.",
    "name_en": "Tên tiếng Anh cho người mua nước ngoài (không bắt buộc).",
    "category": "Chọn trong danh sách (trang “Danh sách”).",
    "unit": "Đơn vị bán: kg, tấn, bao, thùng, chai, hộp, gói, cái… (chọn trong danh sách).",
    "price_vnd": "Giá một đơn vị, số nguyên đồng: 185000.",
    "stock_qty": "Số lượng đang có, theo đơn vị bán. 0 = hết hàng.",
    "min_order_qty": "Số lượng tối thiểu mỗi đơn (mặc định 1).",
    "order_step": "Đặt theo bội số này (mặc định 1; 0,5 cho nửa kg).",
    "unit_weight_kg": "Khối lượng gửi hàng của một đơn vị, tính phí vận chuyển.",
    "origin_province": "Tỉnh/thành nơi sản xuất (chọn trong danh sách; tên cũ cũng được).",
    "description_vi": "Mô tả: giống, vùng trồng, cách chế biến, bảo quản.",
    "description_en": "Mô tả tiếng Anh (không bắt buộc).",
    "hs_code": "Mã HS cho hàng xuất khẩu, 4–10 chữ số: 0901.21.",
    "incoterms": "Điều kiện giao hàng xuất khẩu, cách nhau dấu phẩy: FOB, CIF.",
    "packaging": "Quy cách đóng gói.",
    "port_of_loading": "Cảng xếp hàng xuất khẩu: Cát Lái, Hải Phòng…",
    "lead_time_days": "Số ngày chuẩn bị hàng trước khi gửi.",
}
# The example row with real numbers (a spreadsheet must not store 185.000 as text).
NUMBER_EXAMPLES = {
    "price_vnd": 185000,
    "stock_qty": 250,
    "min_order_qty": 2,
    "order_step": 1,
    "unit_weight_kg": 1.05,
    "lead_time_days": 3,
}
UNIT_CHOICES = [
    "kg",
    "g",
    "yến",
    "tạ",
    "tấn",
    "lít",
    "ml",
    "thùng",
    "bao",
    "chai",
    "hộp",
    "gói",
    "cái",
    "bộ",
    "quả",
    "chục",
]


def template_xlsx(*, categories: Iterable[Any] = (), provinces: Iterable[Any] = ()) -> bytes:
    """The template: the products sheet (headers, one filled example with real numbers,
    drop-downs for category, unit and province), an instruction sheet and the lists sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "San pham"
    ws.append(HEADERS)
    ws.append([NUMBER_EXAMPLES.get(c[1], c[3]) for c in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, header in enumerate(HEADERS, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = max(
            14, len(header) + 4
        )
    lists = wb.create_sheet("Danh sach")
    columns = {
        "category": list(categories),
        "unit": UNIT_CHOICES,
        "origin_province": list(provinces),
    }
    for j, (field, values) in enumerate(columns.items(), start=1):
        letter = lists.cell(row=1, column=j).column_letter
        lists.cell(row=1, column=j, value=HEADER_OF[field]).font = Font(bold=True)
        for k, value in enumerate(values, start=2):
            lists.cell(row=k, column=j, value=value)
        lists.column_dimensions[letter].width = 32
        if not values or field not in HEADER_OF:
            continue
        check = DataValidation(
            type="list",
            formula1=f"='Danh sach'!${letter}$2:${letter}${len(values) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Giá trị không có trong danh sách",
            error="Hãy chọn một giá trị trong danh sách.",
        )
        target = ws.cell(row=2, column=HEADERS.index(HEADER_OF[field]) + 1).column_letter
        check.add(f"{target}2:{target}5000")
        ws.add_data_validation(check)
    guide = wb.create_sheet("Huong dan", 0)
    guide.append(["Cột", "Bắt buộc", "Ý nghĩa", "Ví dụ"])
    for header, field, required, example in (c[:4] for c in COLUMNS):
        guide.append(
            [
                header,
                "có" if required else "",
                HELP.get(field, ""),
                NUMBER_EXAMPLES.get(field, example),
            ]
        )
    guide.append([])
    guide.append(
        ["Điền sản phẩm ở trang “San pham”, mỗi dòng một sản phẩm; giữ nguyên dòng tiêu đề."]
    )
    guide.append(
        [
            "Ảnh: đặt tên tệp ảnh theo mã SKU (CF-ROB-1KG.jpg, CF-ROB-1KG_2.jpg) rồi tải lên tệp ZIP ở trang Nhập sản phẩm."
        ]
    )
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCD", (28, 10, 70, 30), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    wb.active = 1  # open on the products sheet
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
