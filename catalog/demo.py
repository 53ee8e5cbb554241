"""Demo catalogue for `manage.py seed_demo` (runs after market/demo.py made the cooperatives).

About 300 product families (line × grade) holding 3,800 variants (pack × crop year, or
pack × design for crafts) with prices, tiers, stock, certifications and images.
A database seeded before families existed (one family per product after migration 0008) is
regrouped in place by `regroup`: same variant ids and stock, families merged. The images are drawn locally with Pillow (no network): a few dozen distinct pictures, each
processed once through the real upload pipeline (`catalog.images.process_image`) and then shared by
many products. Idempotent: a cooperative that already has its demo products is skipped.
"""

import datetime
import io
import random
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from catalog import images
from catalog import options as option_rules
from catalog.data.demo_products import GRADES, LINES, LIQUID_PACKS, SEASONS, THEMES
from catalog.models import (
    Category,
    Certification,
    PriceTier,
    Product,
    ProductEvent,
    ProductFamily,
    ProductImage,
)
from catalog.services.common import product_slug
from market.models import Cooperative, Membership
from market.shared.outbox import record_changes

PICTURES_PER_THEME = 2
SECOND = {"craft": [("mẫu truyền thống", "traditional design"), ("mẫu hiện đại", "modern design")]}
CROPS = [("vụ 2025", "2025 crop"), ("vụ 2026", "2026 crop")]
PORTS = ["Cát Lái", "Cái Mép", "Hải Phòng", "Đà Nẵng"]
PDF = b"%PDF-1.4\n% demo certificate\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def seed(log: Callable[[str], object]) -> str:
    coops = {c.slug: c for c in Cooperative.objects.filter(slug__in=LINES)}
    todo = [
        slug
        for slug in LINES
        if slug in coops and not coops[slug].products.filter(sku__startswith="DEMO-").exists()
    ]
    if not todo:
        regrouped = regroup(log)
        total = Product.objects.filter(sku__startswith="DEMO-").count()
        log(f"catalog already seeded ({total} demo products)")
        return f"{total} products (0 new){f', {regrouped} regrouped' if regrouped else ''}"
    pictures = _pictures(log)
    categories = dict(Category.objects.values_list("slug", "pk"))
    made = 0
    for slug in todo:
        made += _seed_cooperative(coops[slug], pictures, categories)
        log(f"{slug}: products seeded")
    total = Product.objects.filter(sku__startswith="DEMO-").count()
    families = ProductFamily.objects.filter(variants__sku__startswith="DEMO-").distinct().count()
    return (
        f"{total} products in {families} families ({made} new), "
        f"{len(pictures) * PICTURES_PER_THEME} distinct images"
    )


# --- pictures ------------------------------------------------------------------------------


def _draw(theme: str, variant: int) -> bytes:
    top, bottom, blobs, label = THEMES[theme]
    w, h = 800, 600
    img = Image.new("RGB", (w, h), top)
    draw = ImageDraw.Draw(img)
    for y in range(0, h, 4):  # vertical gradient
        t = y / h
        draw.rectangle(
            [0, y, w, y + 4],
            fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    rnd = random.Random(f"{theme}-{variant}")
    for _ in range(60 + 40 * variant):
        x, y, r = rnd.randrange(w), rnd.randrange(h), rnd.randrange(12, 60)
        draw.ellipse(
            [x - r, y - int(r * 0.7), x + r, y + int(r * 0.7)],
            fill=rnd.choice(blobs),
            outline=tuple(max(0, c - 40) for c in rnd.choice(blobs)),
        )
    draw.rectangle([0, h - 100, w, h], fill=(255, 255, 255))
    font = ImageFont.load_default(size=48)
    draw.text((32, h - 80), f"{label}  ·  HTX MARKET", fill=(40, 40, 40), font=font)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def _pictures(log) -> dict[str, list[images.ProcessedImage]]:
    """Draw and process PICTURES_PER_THEME pictures per theme, through the real pipeline."""
    pictures = {}
    for theme in THEMES:
        pictures[theme] = [
            images.process_image(_draw(theme, v), folder="products/demo")
            for v in range(PICTURES_PER_THEME)
        ]
    log(f"{len(THEMES) * PICTURES_PER_THEME} demo images drawn and processed")
    return pictures


# --- products -------------------------------------------------------------------------------


def _round_price(value: float) -> int:
    step = 1000 if value >= 10_000 else 100
    return max(step, int(Decimal(value / step).quantize(Decimal(1), ROUND_HALF_UP)) * step)


def _stock(rnd, moq) -> Decimal:
    """Stock on hand, in units of sale, consistent with what the product page will say: a few
    products are sold out (0, "Hết hàng"); every other one can be bought at its minimum."""
    if rnd.random() < 0.03:
        return Decimal(0)
    return Decimal(rnd.choice([5, 20, 50, 120, 300, 800])) * (Decimal(moq) if moq > 1 else 1)


def _variants(line):
    """Every (n, grade index, second index, grade, second, pack) of a line; n numbers the SKU
    exactly as before families existed, so a regroup finds each old product by its SKU."""
    code, name_vi, name_en, cat, family, packs, price, hs, theme = line
    second = SECOND.get(family, CROPS)
    n = 0
    for gi, (grade_vi, grade_en) in enumerate(GRADES[family]):
        for si, (sec_vi, sec_en) in enumerate(second):
            for pack in packs:
                n += 1
                yield n, gi, si, (grade_vi, grade_en), (sec_vi, sec_en), pack


def _family_key(line, gi, pack) -> str:
    """One family per line and grade (the issue's coffee: every pack, from the 250 g pouch to
    the export tonne, and both crop years are variants of one product)."""
    return f"DEMO-{line[0]}-{gi}"


def _family_names(line, grade, pack) -> tuple[str, str]:
    _code, name_vi, name_en = line[:3]
    return f"{name_vi} {grade[0]}", f"{name_en}, {grade[1]}"


def _options(line, grade, second, pack) -> dict:
    crop = second[1].split()[0]  # "2025 crop" -> "2025"; crafts have a design instead
    if line[4] == "craft":
        return {"pack": pack[0], "grade": grade[0], "style": second[0]}
    return {"pack": pack[0], "grade": grade[0], "crop_year": crop}


def _product(coop, line, categories, n, gi, grade, second, pack, rnd, active: bool) -> Product:
    code, name_vi, name_en, cat, family, _packs, price, hs, theme = line
    pack_vi, pack_en, unit, size, moq, step, factor, export = pack
    unit_price = _round_price(price * size * factor * (1 + 0.12 * gi))
    fam_vi, fam_en = _family_names(line, grade, pack)
    options = _options(line, grade, second, pack)
    product = Product(
        cooperative=coop,
        sku=f"DEMO-{code}-{n:03d}",
        slug=product_slug(fam_vi),
        options=options,
        options_key=option_rules.options_key(options),
        name_vi=fam_vi,
        name_en=fam_en,
        description_vi=f"{name_vi} {grade[0]}. {coop.description_vi}",
        description_en=f"{name_en} ({grade[1]}) from {coop.display_name}, Vietnam.",
        category_id=categories[cat],
        origin_province_id=coop.province_id,
        unit=unit,
        price_vnd=unit_price,
        min_order_qty=Decimal(str(moq)),
        order_step=Decimal(str(step)),
        stock_qty=_stock(rnd, moq),
        unit_weight_kg=Decimal(str(size)),
        base_qty=Decimal(str(size)) if unit not in ("KG", "TAN", "LIT") else None,
        base_unit=("LIT" if pack in LIQUID_PACKS else "KG")
        if unit not in ("KG", "TAN", "LIT")
        else "",
        lead_time_days=rnd.choice([1, 2, 3, 5, 7, 14] if export else [1, 2, 3]),
        hs_code=hs,
        packaging=pack_vi,
        status=Product.Status.ACTIVE if active else Product.Status.DRAFT,
        published_at=timezone.now() if active else None,
    )
    if export:
        product.incoterms = ["FOB", "CIF"] if rnd.random() < 0.6 else ["EXW", "FOB"]
        product.port_of_loading = rnd.choice(PORTS)
        product.monthly_capacity = Decimal(rnd.choice([5, 10, 20, 40]))
    if theme in SEASONS and len(SEASONS[theme]) < 12:
        product.availability, product.season_months = Product.Availability.SEASONAL, SEASONS[theme]
    elif rnd.random() < 0.05:
        start = datetime.date(2027, rnd.randint(1, 10), 1)
        product.availability, product.harvest_start = Product.Availability.PRE_ORDER, start
        product.harvest_end = start + datetime.timedelta(days=60)
    return product


def _tiers(product: Product) -> list[PriceTier]:
    moq, price = product.min_order_qty, product.price_vnd
    assert price is not None  # demo products are priced before their tiers are made
    tiers: list[PriceTier] = []
    for mult, discount in ((10, Decimal("0.95")), (50, Decimal("0.90"))):
        tier_price = int(price * discount) // 100 * 100
        if tier_price <= 0 or tier_price >= (tiers[-1].price_vnd if tiers else price):
            break
        tiers.append(PriceTier(product=product, min_qty=moq * mult, price_vnd=tier_price))
    return tiers


@transaction.atomic
def _seed_cooperative(coop: Cooperative, pictures, categories) -> int:
    rnd = random.Random(coop.slug)
    owner = (
        Membership.objects.filter(cooperative=coop)
        .order_by("pk")
        .values_list("user_id", flat=True)
        .first()
    )
    verified = coop.status == Cooperative.Status.VERIFIED
    products, keys, themes = [], [], {}
    for line in LINES[coop.slug]:
        for n, gi, _si, grade, second, pack in _variants(line):
            active = verified and rnd.random() > 0.06  # a few drafts in every verified cooperative
            products.append(
                _product(coop, line, categories, n, gi, grade, second, pack, rnd, active)
            )
            keys.append(_family_key(line, gi, pack))
            themes[keys[-1]] = line[8]
    families = _families(coop, products, keys)
    Product.objects.bulk_create(products, batch_size=500)
    _attach(families, themes, pictures, rnd)
    PriceTier.objects.bulk_create(
        [t for p in products if rnd.random() < 0.4 for t in _tiers(p)], batch_size=1000
    )
    ProductEvent.objects.bulk_create(
        [
            ProductEvent(
                product=p,
                actor_id=owner,
                action=ProductEvent.Action.CREATED,
                changes={"demo": True},
            )
            for p in products
        ],
        batch_size=1000,
    )
    _certifications(coop, list(families.values()), rnd)
    record_changes(entity="product", ids=[p.pk for p in products])
    return len(products)


def _families(coop, products: list[Product], keys: list[str]) -> dict[str, ProductFamily]:
    """One family per key, its shared fields taken from its first variant and copied back to
    every variant (the variants of a family must agree on them)."""
    families: dict[str, ProductFamily] = {}
    for product, key in zip(products, keys, strict=True):
        if key not in families:
            families[key] = ProductFamily(
                cooperative=coop,
                slug=product.slug,
                family_key=key,
                **{f: getattr(product, f) for f in ProductFamily.SHARED_FIELDS},
            )
    ProductFamily.objects.bulk_create(families.values())
    positions: dict[str, int] = {}
    for product, key in zip(products, keys, strict=True):
        family = families[key]
        product.family = family
        product.position = positions[key] = positions.get(key, -1) + 1
        for field, value in family.shared_values().items():
            setattr(product, field, value)
    return families


def _attach(families: dict[str, ProductFamily], themes: dict[str, str], pictures, rnd) -> None:
    rows = []
    for key, family in families.items():
        choices = pictures[themes[key]]
        first = rnd.randrange(len(choices))
        order = [choices[first]] + (
            [choices[1 - first]] if len(choices) > 1 and rnd.random() < 0.5 else []
        )
        for position, pic in enumerate(order):
            row = ProductImage(
                family=family,
                position=position,
                width=pic.width,
                height=pic.height,
                variants=pic.variants,
                alt_vi=family.name_vi[:255],
                alt_en=family.name_en[:255],
            )
            row.original.name = pic.original
            rows.append(row)
    ProductImage.objects.bulk_create(rows, batch_size=1000)


def _certifications(coop: Cooperative, families: list[ProductFamily], rnd) -> None:
    today = timezone.localdate()
    verified = coop.status == Cooperative.Status.VERIFIED
    specs = [
        (
            "VIETGAP",
            None,
            "Trung tâm Chứng nhận Phù hợp (QUACERT)",
            verified,
            today + datetime.timedelta(days=500),
        ),
        (
            "OCOP",
            rnd.choice([3, 4, 4, 5]),
            f"UBND {coop.province.name}",
            verified,
            today + datetime.timedelta(days=900),
        ),
        ("ORGANIC_EU", None, "Control Union", False, today + datetime.timedelta(days=300)),
        (
            "GLOBALGAP",
            None,
            "SGS Việt Nam",
            verified,
            today - datetime.timedelta(days=20),
        ),  # expired
    ]
    for i, (kind, stars, issuer, is_verified, until) in enumerate(specs):
        cert = Certification(
            cooperative=coop,
            kind=kind,
            ocop_stars=stars,
            issuer=issuer,
            number=f"{kind[:4]}-{coop.pk:03d}-{i + 1:02d}",
            valid_from=today.replace(year=today.year - 2),
            valid_until=until,
            status=Certification.Status.VERIFIED if is_verified else Certification.Status.CLAIMED,
            checked_at=timezone.now() if is_verified else None,
        )
        cert.document.save(f"demo-{coop.slug}-{kind.lower()}.pdf", ContentFile(PDF), save=False)
        cert.save()
        cert.families.set(rnd.sample(families, k=min(len(families), 8)))


# --- regrouping a catalogue seeded before families ------------------------------------------


def regroup(log: Callable[[str], object]) -> int:
    """Merge the one-variant families that migration 0008 made of the old demo products into
    the demo families (same keys as a fresh seed). Variant ids, stock, prices, tiers, events and
    order lines stay as they are; photos and certifications move to the merged family.
    Idempotent: a variant already in its demo family is left alone. Returns variants moved."""
    moved = 0
    for coop_id, slug in Cooperative.objects.filter(slug__in=LINES).values_list("pk", "slug"):
        # Line codes repeat across cooperatives: each one is read with its own lines.
        lines = {line[0]: line for line in LINES[slug]}
        moved += _regroup_cooperative(coop_id, lines)
    if moved:
        log(f"{moved} demo variants regrouped into families")
    return moved


def _demo_slots(lines) -> dict[str, tuple]:
    """SKU -> (family key, options, family names) for every demo variant."""
    slots = {}
    for code, line in lines.items():
        for n, gi, _si, grade, second, pack in _variants(line):
            slots[f"DEMO-{code}-{n:03d}"] = (
                _family_key(line, gi, pack),
                _options(line, grade, second, pack),
                _family_names(line, grade, pack),
                f"{line[1]} {grade[0]}",
            )
    return slots


@transaction.atomic
def _regroup_cooperative(coop_id: int, lines) -> int:
    slots = _demo_slots(lines)
    variants = list(
        Product.objects.select_for_update()
        .filter(cooperative_id=coop_id, sku__startswith="DEMO-")
        .select_related("family")
        .order_by("pk")
    )
    groups: dict[str, list[Product]] = {}
    for v in variants:
        if v.sku in slots:
            groups.setdefault(slots[v.sku][0], []).append(v)
    moved = 0
    for key, members in groups.items():
        target = next((v.family for v in members if v.family.family_key == key), members[0].family)
        if all(v.family_id == target.pk for v in members) and target.family_key == key:
            continue
        moved += _merge(target, key, members, slots)
    return moved


def _merge(target: ProductFamily, key: str, members: list[Product], slots) -> int:
    _key, _options_, (name_vi, name_en), desc_head = slots[members[0].sku]
    old = {v.family_id for v in members} - {target.pk}
    target.family_key, target.name_vi, target.name_en = key, name_vi, name_en
    target.slug = product_slug(name_vi)
    coop_desc = target.description_vi.split(". ", 1)[-1]
    target.description_vi = f"{desc_head}. {coop_desc}"
    target.save()
    _merge_photos_and_certifications(target, old)
    # Options first (each variant still alone in its family), then the family: the unique
    # (family, options_key) constraint never sees two variants with the same key.
    for position, v in enumerate(members):
        v.options = slots[v.sku][1]
        v.options_key = option_rules.options_key(v.options)
        v.position = position
    Product.objects.bulk_update(members, ["options", "options_key", "position"])
    shared = {**target.shared_values(), "slug": target.slug}
    Product.objects.filter(pk__in=[v.pk for v in members]).update(family=target, **shared)
    ProductFamily.objects.filter(pk__in=old).delete()
    ProductEvent.objects.bulk_create(
        [
            ProductEvent(
                product=v, action=ProductEvent.Action.REGROUPED, changes={"family_id": target.pk}
            )
            for v in members
        ]
    )
    record_changes(entity="product", ids=[v.pk for v in members])
    record_changes(entity="family", ids=sorted(old))  # their documents go from the index
    return len(members)


def _merge_photos_and_certifications(target: ProductFamily, old: set[int]) -> None:
    """Photos of the merged families move to the target unless it already shows the same
    picture (demo pictures are shared files); certifications cover the target instead."""
    have = set(target.images.values_list("original", flat=True))
    position = target.images.count()
    for image in ProductImage.objects.filter(family_id__in=old).order_by("family_id", "position"):
        if image.original.name in have:
            continue
        have.add(image.original.name)
        ProductImage.objects.filter(pk=image.pk).update(family=target, position=position)
        position += 1
    Through = Certification.families.through
    cert_ids = set(
        Through.objects.filter(productfamily_id__in=old).values_list("certification_id", flat=True)
    )
    Through.objects.bulk_create(
        [Through(certification_id=c, productfamily_id=target.pk) for c in cert_ids],
        ignore_conflicts=True,
    )
