"""The import template: Vietnamese headers (what cooperatives see), the field each fills, and
example rows. Headers are matched after folding, so "Ma SKU" and "MÃ SKU" work too."""

import csv
import io

from market.admin_units import fold

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


def field_for_header(header) -> str | None:
    key = fold(str(header or "")).strip()
    return _BY_FOLDED.get(key) or _BY_FOLDED.get(key.split("(")[0].strip())


def template_csv() -> bytes:
    """UTF-8 with BOM, so Excel on Windows shows the diacritics correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerow([c[3] for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "San pham"
    ws.append(HEADERS)
    ws.append([c[3] for c in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, header in enumerate(HEADERS, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = max(
            14, len(header) + 4
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
