"""Demo catalogue for `manage.py seed_demo` (runs after market/demo.py made the cooperatives).

2,000+ products (line × grade × crop/design × pack) with prices, tiers, stock, certifications and
images. The images are drawn locally with Pillow (no network): a few dozen distinct pictures, each
processed once through the real upload pipeline (`catalog.images.process_image`) and then shared by
many products. Idempotent: a cooperative that already has its demo products is skipped.
"""

import datetime
import io
import random
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from catalog import images
from catalog.data.demo_products import GRADES, LINES, SEASONS, THEMES
from catalog.models import Category, Certification, PriceTier, Product, ProductEvent, ProductImage
from catalog.services.common import product_slug
from market.models import Cooperative, Membership
from market.shared.outbox import record_changes

PICTURES_PER_THEME = 2
SECOND = {"craft": [("mẫu truyền thống", "traditional design"), ("mẫu hiện đại", "modern design")]}
CROPS = [("vụ 2025", "2025 crop"), ("vụ 2026", "2026 crop")]
PORTS = ["Cát Lái", "Cái Mép", "Hải Phòng", "Đà Nẵng"]
PDF = b"%PDF-1.4\n% demo certificate\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def seed(log) -> str:
    coops = {c.slug: c for c in Cooperative.objects.filter(slug__in=LINES)}
    todo = [
        slug
        for slug in LINES
        if slug in coops and not coops[slug].products.filter(sku__startswith="DEMO-").exists()
    ]
    if not todo:
        total = Product.objects.filter(sku__startswith="DEMO-").count()
        log(f"catalog already seeded ({total} demo products)")
        return f"{total} products (0 new)"
    pictures = _pictures(log)
    categories = dict(Category.objects.values_list("slug", "pk"))
    made = 0
    for slug in todo:
        made += _seed_cooperative(coops[slug], pictures, categories)
        log(f"{slug}: products seeded")
    total = Product.objects.filter(sku__startswith="DEMO-").count()
    return f"{total} products ({made} new), {len(pictures) * PICTURES_PER_THEME} distinct images"


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
    code, name_vi, name_en, cat, family, packs, price, hs, theme = line
    second = SECOND.get(family, CROPS)
    n = 0
    for gi, (grade_vi, grade_en) in enumerate(GRADES[family]):
        for si, (sec_vi, sec_en) in enumerate(second):
            for pack in packs:
                n += 1
                yield n, gi, si, (grade_vi, grade_en), (sec_vi, sec_en), pack


def _product(coop, line, categories, n, gi, grade, second, pack, rnd, active: bool) -> Product:
    code, name_vi, name_en, cat, family, _packs, price, hs, theme = line
    pack_vi, pack_en, unit, size, moq, step, factor, export = pack
    unit_price = _round_price(price * size * factor * (1 + 0.12 * gi))
    name = f"{name_vi} {grade[0]} {second[0]} – {pack_vi}"
    product = Product(
        cooperative=coop,
        sku=f"DEMO-{code}-{n:03d}",
        slug=product_slug(name),
        name_vi=name,
        name_en=f"{name_en}, {grade[1]}, {second[1]} – {pack_en}",
        description_vi=f"{name_vi} {grade[0]}, {pack_vi}. {coop.description_vi}",
        description_en=f"{name_en} ({grade[1]}, {pack_en}) from {coop.display_name}, Vietnam.",
        category_id=categories[cat],
        origin_province_id=coop.province_id,
        unit=unit,
        price_vnd=unit_price,
        min_order_qty=Decimal(str(moq)),
        order_step=Decimal(str(step)),
        stock_qty=_stock(rnd, moq),
        unit_weight_kg=Decimal(str(size)),
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
    tiers = []
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
    products, themes = [], []
    for line in LINES[coop.slug]:
        for n, gi, _si, grade, second, pack in _variants(line):
            active = verified and rnd.random() > 0.06  # a few drafts in every verified cooperative
            products.append(
                _product(coop, line, categories, n, gi, grade, second, pack, rnd, active)
            )
            themes.append(line[8])
    Product.objects.bulk_create(products, batch_size=500)
    _attach(products, themes, pictures, rnd)
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
    _certifications(coop, products, rnd)
    record_changes(entity="product", ids=[p.pk for p in products])
    return len(products)


def _attach(products, themes, pictures, rnd) -> None:
    rows = []
    for product, theme in zip(products, themes, strict=True):
        choices = pictures[theme]
        first = rnd.randrange(len(choices))
        order = [choices[first]] + (
            [choices[1 - first]] if len(choices) > 1 and rnd.random() < 0.5 else []
        )
        for position, pic in enumerate(order):
            row = ProductImage(
                product=product,
                position=position,
                width=pic.width,
                height=pic.height,
                variants=pic.variants,
                alt_vi=product.name_vi[:255],
                alt_en=product.name_en[:255],
            )
            row.original.name = pic.original
            rows.append(row)
    ProductImage.objects.bulk_create(rows, batch_size=1000)


def _certifications(coop: Cooperative, products: list[Product], rnd) -> None:
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
        cert.products.set(rnd.sample(products, k=min(len(products), 40)))
