"""Build the search document for products, from the database: one document per product family
(its id is the family id), made of the family's purchasable variants (docs/search.md).

Only families with a purchasable variant (cooperative VERIFIED, variant ACTIVE) get a document;
every other family id asked for is reported back so the caller deletes it from the index. Text is stored twice: as
written (NFC, for the exact-diacritic boost) and folded (for recall). Rows are read with
`values()` (no model instances): a full reindex of 100,000 products is bound by this code.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone, translation

from catalog.models import Category, Certification, Product, ProductFamily
from catalog.selectors import product_list_purchasable
from market.models import FormerProvince, Province
from search.text import fold_text, normalize, tokens

# Variant option kinds that are search facets (catalog.options.KINDS; "style" is not one).
OPTION_FACETS = ("pack", "grade", "crop_year")
FIELDS = (
    "pk",
    "family_id",
    "options",
    "sku",
    "name_vi",
    "name_en",
    "description_vi",
    "description_en",
    "category_id",
    "origin_province_id",
    "cooperative_id",
    "price_vnd",
    "stock_qty",
    "incoterms",
    "created_at",
    "cooperative__legal_name",
    "cooperative__trading_name",
    "cooperative__province_id",
)


class _Context:
    """Reference data shared by a whole batch (or a whole reindex): category tree, provinces,
    certification labels, today's date."""

    def __init__(self):
        self.tree = {
            c["pk"]: (c["parent_id"], c["name_vi"], c["name_en"])
            for c in Category.objects.values("pk", "parent_id", "name_vi", "name_en")
        }
        # A province is found by its 2025 name and by the names of the provinces it absorbed
        # ("Bắc Giang" finds Bắc Ninh's products).
        self.provinces = {pk: [name] for pk, name in Province.objects.values_list("pk", "name")}
        for pk, former in FormerProvince.objects.values_list("province_id", "short_name"):
            self.provinces.setdefault(pk, []).append(former)
        # Labels in both languages, whatever language the request that published it spoke: the
        # document must not depend on who triggered the indexing (search_check compares hashes).
        self.kinds: dict[str, list[str]] = {}
        for language in ("vi", "en"):
            with translation.override(language):
                for kind, label in Certification.Kind.choices:
                    self.kinds.setdefault(kind, []).append(str(label))
        self.today = timezone.localdate()

    def path(self, category_id) -> list[int]:
        path, seen = [], set()
        while category_id is not None and category_id in self.tree and category_id not in seen:
            seen.add(category_id)
            path.append(category_id)
            category_id = self.tree[category_id][0]
        return path[::-1]

    def certifications(self, family_ids) -> dict[int, list[tuple[str, int | None]]]:
        """Shown certifications (verified, not expired) per family."""
        through = Certification.families.through.objects.filter(
            productfamily_id__in=family_ids,
            certification__status=Certification.Status.VERIFIED,
        ).filter(
            Q(certification__valid_until__isnull=True)
            | Q(certification__valid_until__gte=self.today)
        )
        out: dict[int, list] = {}
        for pid, kind, stars in through.values_list(
            "productfamily_id", "certification__kind", "certification__ocop_stars"
        ):
            out.setdefault(pid, []).append((kind, stars))
        return out

    @staticmethod
    def orders(family_ids) -> dict[int, int]:
        """Orders that bought a variant of each family: the quality signal that breaks ranking
        ties. Read through the catalog's reverse relation (search never imports orders)."""
        rows = (
            Product.objects.filter(family_id__in=family_ids, order_lines__isnull=False)
            .values("family_id")
            .annotate(n=Count("order_lines__order", distinct=True))
            .values_list("family_id", "n")
        )
        return dict(rows)


def _family_row(variants: list[dict]) -> dict:
    """One row for a family from its purchasable variants (shared fields agree across them):
    the lowest price is the one sorted and filtered on, the highest is shown beside it; every
    SKU is searchable text and an exact-SKU key."""
    prices = [v["price_vnd"] for v in variants if v["price_vnd"] is not None]
    row = {**variants[0], "pk": variants[0]["family_id"]}
    row["price_vnd"] = min(prices, default=None)
    row["price_max_vnd"] = max(prices, default=None)
    row["stock_qty"] = max(v["stock_qty"] for v in variants)
    row["created_at"] = min(v["created_at"] for v in variants)
    row["variant_ids"] = sorted(v["pk"] for v in variants)
    row["skus"] = [v["sku"] for v in variants]
    for kind in OPTION_FACETS:
        row[kind] = sorted({str(v["options"][kind]) for v in variants if v["options"].get(kind)})
    return row


def build(row: dict, certs: list[tuple[str, int | None]], ctx: _Context, orders: int = 0) -> dict:
    """One product's document. Every text is language-independent (both languages' labels)."""
    province_id = row["origin_province_id"] or row["cooperative__province_id"]
    path = ctx.path(row["category_id"])
    stars = [s for kind, s in certs if kind == Certification.Kind.OCOP and s]
    names = f"{row['name_vi']} {row['name_en']}".strip()
    coops = {row["cooperative__trading_name"], row["cooperative__legal_name"]} - {"", None}
    coops |= {_abbreviation(row["cooperative__legal_name"])} - {""}
    context = " ".join(
        sorted(coops)
        + ctx.provinces.get(province_id, [])
        + [f"{ctx.tree[c][1]} {ctx.tree[c][2]}" for c in path]
        + [label for kind in sorted({k for k, _ in certs}) for label in ctx.kinds.get(kind, [kind])]
        + row.get("skus", [row["sku"]])
        + row.get("pack", [])
        + row.get("grade", [])
    )
    name_fold = fold_text(names)
    incoterms = sorted({str(i) for i in (row["incoterms"] or [])})
    doc = {
        "id": row["pk"],
        # every variant's SKU (NFC, lowercase): the exact-SKU signal matches any of them
        "sku": list(dict.fromkeys(normalize(s) for s in row.get("skus", [row["sku"]]))),
        "name_vi": row["name_vi"],
        "name_en": row["name_en"],
        "name_exact": normalize(names),
        "name_fold": name_fold,
        "name_len": len(tokens(name_fold)),
        "context_fold": fold_text(context),
        "body_fold": fold_text(f"{row['description_vi']} {row['description_en']}"),
        "category_id": row["category_id"],
        "category_path": path,
        "province_id": province_id,
        "cooperative_id": row["cooperative_id"],
        "certifications": sorted({kind for kind, _ in certs}),
        "ocop_stars": max(stars) if stars else None,
        "price_vnd": row["price_vnd"],
        "price_max_vnd": row.get("price_max_vnd", row["price_vnd"]),
        "variant_count": len(row.get("variant_ids", [row["pk"]])),
        "variant_ids": row.get("variant_ids", []),
        "packs": row.get("pack", []),
        "grades": row.get("grade", []),
        "crop_years": row.get("crop_year", []),
        "in_stock": row["stock_qty"] > 0,
        "incoterms": incoterms,
        "export_ready": bool(incoterms),
        "created": row["created_at"],
        "orders": orders,
    }
    doc["doc_hash"] = doc_hash(doc)
    return doc


# What buyers type for a cooperative's legal form ("htx chè hoàng bình").
_FORMS = (
    ("lien hiep hop tac xa", "LHHTX"),
    ("lien hiep htx", "LHHTX"),
    ("hop tac xa", "HTX"),
    ("to hop tac", "THT"),
)


def _abbreviation(legal_name: str) -> str:
    folded = fold_text(legal_name or "").lower()
    return next((short for form, short in _FORMS if folded.startswith(form)), "")


def doc_hash(doc: dict) -> str:
    """A short stable fingerprint of a document's fields (all but itself): stored with the
    document on every backend, so `search_check` sees any drift (names, stock, category...)
    by comparing it with the hash of the document built from the database now."""
    fields = {k: v for k, v in doc.items() if k != "doc_hash"}
    canonical = json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha1(canonical.encode(), usedforsecurity=False).hexdigest()[:16]


def _build_rows(variant_rows: list[dict], ctx: _Context) -> list[dict]:
    by_family: dict[int, list[dict]] = {}
    for v in variant_rows:
        by_family.setdefault(v["family_id"], []).append(v)
    if not by_family:
        return []
    rows = [_family_row(variants) for variants in by_family.values()]
    ids = list(by_family)
    certs, orders = ctx.certifications(ids), ctx.orders(ids)
    return [build(r, certs.get(r["pk"], []), ctx, orders.get(r["pk"], 0)) for r in rows]


def _variants_of(family_ids) -> list[dict]:
    return list(
        product_list_purchasable()
        .filter(family_id__in=family_ids)
        .order_by("family_id", "position", "pk")
        .values(*FIELDS)
    )


def build_for(family_ids: Iterable[int]) -> tuple[list[dict], list[int]]:
    """Documents for the families among `family_ids` with a purchasable variant, and the ids
    to delete from the index (the others)."""
    ids = sorted(set(family_ids))
    docs = _build_rows(_variants_of(ids), _Context())
    found = {d["id"] for d in docs}
    return docs, [i for i in ids if i not in found]


def family_ids_of(variant_ids: Iterable[int]) -> set[int]:
    return set(Product.objects.filter(pk__in=set(variant_ids)).values_list("family_id", flat=True))


def iter_all(batch_size: int = 1000) -> Iterator[list[dict]]:
    """Every family's document, in batches, paging by family id. EXISTS, not `pk IN
    (subquery)`: SQLite materialised the whole purchasable list for every batch (0.7 s a batch
    at 100,000 products, 7 s at 1,000,000: the reindex rate fell with the catalog size).
    The variants are bounded by the same `> last` as the families: without it PostgreSQL
    merge-joined the families of the batch with the family index of the variants read from
    its start (702,000 variants for the batch after family 700,000: 0.6 s a batch at 1,000,000
    products, so the rate fell with the catalog again)."""
    ctx, last = _Context(), 0
    while True:
        purchasable = product_list_purchasable().filter(
            family_id=OuterRef("pk"), family_id__gt=last
        )
        ids = list(
            ProductFamily.objects.filter(Exists(purchasable), pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return
        last = ids[-1]
        yield _build_rows(_variants_of(ids), ctx)
