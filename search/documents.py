"""Build the search document for products, from the database.

Only purchasable products (cooperative VERIFIED, product ACTIVE) get a document; every other id
asked for is reported back so the caller deletes it from the index. Text is stored twice: as
written (NFC, for the exact-diacritic boost) and folded (for recall). Rows are read with
`values()` (no model instances): a full reindex of 100,000 products is bound by this code.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator

from django.db.models import Q
from django.utils import timezone

from catalog.models import Category, Certification
from catalog.selectors import product_list_purchasable
from market.models import Province
from search.text import fold_text, normalize

FIELDS = (
    "pk",
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
        self.provinces = dict(Province.objects.values_list("pk", "name"))
        self.kinds = {k: str(label) for k, label in Certification.Kind.choices}
        self.today = timezone.localdate()

    def path(self, category_id) -> list[int]:
        path, seen = [], set()
        while category_id is not None and category_id in self.tree and category_id not in seen:
            seen.add(category_id)
            path.append(category_id)
            category_id = self.tree[category_id][0]
        return path[::-1]

    def certifications(self, product_ids) -> dict[int, list[tuple[str, int | None]]]:
        """Shown certifications (verified, not expired) per product."""
        # Certifications belong to the family: each variant shows its family's.
        through = Certification.families.through.objects.filter(
            productfamily__variants__in=product_ids,
            certification__status=Certification.Status.VERIFIED,
        ).filter(
            Q(certification__valid_until__isnull=True)
            | Q(certification__valid_until__gte=self.today)
        )
        out: dict[int, list] = {}
        for pid, kind, stars in through.values_list(
            "productfamily__variants", "certification__kind", "certification__ocop_stars"
        ):
            out.setdefault(pid, []).append((kind, stars))
        return out


def build(row: dict, certs: list[tuple[str, int | None]], ctx: _Context) -> dict:
    province_id = row["origin_province_id"] or row["cooperative__province_id"]
    path = ctx.path(row["category_id"])
    stars = [s for kind, s in certs if kind == Certification.Kind.OCOP and s]
    names = f"{row['name_vi']} {row['name_en']}".strip()
    context = " ".join(
        [
            row["description_vi"],
            row["description_en"],
            row["cooperative__trading_name"] or row["cooperative__legal_name"],
            ctx.provinces.get(province_id, ""),
        ]
        + [f"{ctx.tree[c][1]} {ctx.tree[c][2]}" for c in path]
        + [ctx.kinds.get(kind, kind) for kind, _ in certs]
    )
    incoterms = sorted({str(i) for i in (row["incoterms"] or [])})
    doc = {
        "id": row["pk"],
        "name_vi": row["name_vi"],
        "name_en": row["name_en"],
        "name_exact": normalize(names),
        "name_fold": fold_text(names),
        "body_fold": fold_text(context),
        "category_id": row["category_id"],
        "category_path": path,
        "province_id": province_id,
        "cooperative_id": row["cooperative_id"],
        "certifications": sorted({kind for kind, _ in certs}),
        "ocop_stars": max(stars) if stars else None,
        "price_vnd": row["price_vnd"],
        "in_stock": row["stock_qty"] > 0,
        "incoterms": incoterms,
        "export_ready": bool(incoterms),
        "created": row["created_at"],
    }
    doc["doc_hash"] = doc_hash(doc)
    return doc


def doc_hash(doc: dict) -> str:
    """A short stable fingerprint of a document's fields (all but itself): stored with the
    document on every backend, so `search_check` sees any drift (names, stock, category...)
    by comparing it with the hash of the document built from the database now."""
    fields = {k: v for k, v in doc.items() if k != "doc_hash"}
    canonical = json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha1(canonical.encode()).hexdigest()[:16]


def _build_rows(rows: list[dict], ctx: _Context) -> list[dict]:
    certs = ctx.certifications([r["pk"] for r in rows]) if rows else {}
    return [build(r, certs.get(r["pk"], []), ctx) for r in rows]


def build_for(ids: Iterable[int]) -> tuple[list[dict], list[int]]:
    """Documents for the purchasable ones among `ids`, and the ids to delete from the index."""
    ids = sorted(set(ids))
    ctx = _Context()
    docs = _build_rows(list(product_list_purchasable().filter(pk__in=ids).values(*FIELDS)), ctx)
    found = {d["id"] for d in docs}
    return docs, [i for i in ids if i not in found]


def iter_all(batch_size: int = 1000) -> Iterator[list[dict]]:
    """Every purchasable product's document, in batches, paging by primary key."""
    ctx, last = _Context(), 0
    while True:
        rows = list(
            product_list_purchasable()
            .filter(pk__gt=last)
            .order_by("pk")
            .values(*FIELDS)[:batch_size]
        )
        if not rows:
            return
        last = rows[-1]["pk"]
        yield _build_rows(rows, ctx)
