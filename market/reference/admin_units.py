"""Vietnamese administrative units from maintained data packages (not hand-typed lists).

- `vietnam-provinces`: the 2025 structure (34 provinces, their wards, official codes).
- `vietnamadminunits`: the 63 former provinces and which new province absorbed each, so
  addresses and documents written before the reform are accepted and mapped.
"""

import json
import unicodedata
from collections.abc import Iterable
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from market.models import Province


def fold(text: str) -> str:
    """NFC, lowercase, strip combining marks, đ→d. The same fold the search uses."""
    text = text or ""
    if text.isascii():  # nothing to normalise or strip (folded text, SKUs, English): lowercase
        return text.lower()  # (the search reindex folds every document's folded text again)
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", text).lower().replace("đ", "d")


def _key(name: str) -> str:
    return "".join(ch for ch in fold(name) if ch.isalnum())


def load(apps: Any = None) -> tuple[int, int, int]:
    """Create or update provinces, wards and former provinces. Safe to re-run."""
    from vietnam_provinces import Province as VP
    from vietnam_provinces import Ward as VW

    get = (lambda n: apps.get_model("market", n)) if apps else _models
    Province, Ward, FormerProvince = get("Province"), get("Ward"), get("FormerProvince")

    provinces = [
        Province(
            code=int(p.code),
            name=p.name,
            short_name=_short(p.name),
            codename=p.codename,
            division_type=str(p.division_type.value),
        )
        for p in VP.iter_all()
    ]
    Province.objects.bulk_create(
        provinces,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "short_name", "codename", "division_type"],
    )
    wards = [
        Ward(
            code=int(w.code),
            name=w.name,
            province_id=int(w.province_code),
            codename=w.codename,
            division_type=str(w.division_type.value),
        )
        for w in VW.iter_all()
    ]
    Ward.objects.bulk_create(
        wards,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "province", "codename", "division_type"],
    )

    by_key = {}
    for p in provinces:  # the converter keys new provinces as "tinh<name>" / "thanhpho<name>"
        by_key[_key(p.name)] = by_key["tinh" + _key(p.name)] = p.code
    data = resources.files("vietnamadminunits") / "data"
    legacy = json.loads((data / "parser_legacy.json").read_text("utf-8"))["DICT_PROVINCE"]
    merges = json.loads((data / "converter_2025.json").read_text("utf-8"))["DICT_PROVINCE"]
    old_to_new = {old: new for new, olds in merges.items() for old in olds}
    former = []
    for old_key, info in legacy.items():
        new_code = by_key.get(old_to_new.get(old_key, old_key))
        if new_code is None:
            raise RuntimeError(
                f"former province {info['province']} has no 2025 successor in the data"
            )
        former.append(
            FormerProvince(
                key=old_key,
                name=info["province"],
                short_name=info["provinceShort"],
                former_code=info["provinceCode"],
                province_id=new_code,
            )
        )
    FormerProvince.objects.bulk_create(
        former,
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["name", "short_name", "former_code", "province"],
    )
    return len(provinces), len(wards), len(former)


def _short(name: str) -> str:
    for prefix in ("Thành phố ", "Tỉnh "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _models(name):
    from django.apps import apps as django_apps

    return django_apps.get_model("market", name)


def resolve_province(text: str) -> "Province | None":
    """Find the current province for a name typed by a person: a 2025 name ("Bắc Ninh",
    "Tỉnh Bắc Ninh", "bac ninh") or a former one ("Bắc Giang" → Bắc Ninh). None if unknown."""
    from market.models import FormerProvince, Province

    key = _key(text)
    for prefix in ("thanhpho", "tinh", "tp"):  # "TP Hồ Chí Minh", "Tỉnh Bắc Giang"
        if key.startswith(prefix) and len(key) > len(prefix) + 2:
            key = key[len(prefix) :]
            break
    if not key:
        return None
    for p in Province.objects.all():
        if key in (_key(p.name), _key(p.short_name), _key(_short(p.name))):
            return p
    for f in FormerProvince.objects.select_related("province"):
        if key in (f.key, _key(f.short_name), _key(_short(f.name))):
            return f.province
    return None


# code -> name of every province, read once per process: the table is reference data that a
# migration loads and nothing edits (the admin is read-only). Result cards and facet labels
# name the provinces of every search page; joining or querying the table for it each time
# cost a PostgreSQL search page a query or two joins of planning.
_PROVINCE_NAMES: dict[int, str] = {}


def province_names(codes: Iterable[int | None]) -> dict[int, str]:
    """{code: name} of the provinces `codes` (None and unknown codes are left out). Reads the
    table again when a code is missing from the process copy (a province added since)."""
    wanted = {c for c in codes if c is not None}
    if not wanted <= _PROVINCE_NAMES.keys():
        _PROVINCE_NAMES.update(_models("Province").objects.values_list("code", "name"))
    return {c: _PROVINCE_NAMES[c] for c in wanted if c in _PROVINCE_NAMES}
