"""Units of sale and their conversion to a base unit (where one exists)."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class Unit(models.TextChoices):
    KG = "KG", _("kg")
    G = "G", _("gram")
    YEN = "YEN", _("yến (10 kg)")
    TA = "TA", _("tạ (100 kg)")
    TAN = "TAN", _("tấn (1,000 kg)")
    LIT = "LIT", _("litre")
    ML = "ML", _("ml")
    THUNG = "THUNG", _("carton (thùng)")
    BAO = "BAO", _("sack (bao)")
    CHAI = "CHAI", _("bottle (chai)")
    HOP = "HOP", _("box (hộp)")
    GOI = "GOI", _("pack (gói)")
    CAI = "CAI", _("piece (cái)")
    BO = "BO", _("set (bộ)")
    QUA = "QUA", _("fruit (quả)")
    CHUC = "CHUC", _("ten (chục)")


# unit -> (base unit, factor). Units without a physical base (carton, sack...) map to themselves.
BASE_UNIT: dict[str, tuple[str, Decimal]] = {
    Unit.G: (Unit.KG, Decimal("0.001")),
    Unit.KG: (Unit.KG, Decimal("1")),
    Unit.YEN: (Unit.KG, Decimal("10")),
    Unit.TA: (Unit.KG, Decimal("100")),
    Unit.TAN: (Unit.KG, Decimal("1000")),
    Unit.ML: (Unit.LIT, Decimal("0.001")),
    Unit.LIT: (Unit.LIT, Decimal("1")),
    Unit.CHUC: (Unit.QUA, Decimal("10")),
}

# Units that may be sold in fractions (2.5 kg); the others are whole numbers.
DIVISIBLE_UNITS = {Unit.KG, Unit.G, Unit.YEN, Unit.TA, Unit.TAN, Unit.LIT, Unit.ML}


def to_base(quantity: Decimal, unit: str) -> tuple[Decimal, str]:
    base, factor = BASE_UNIT.get(unit, (unit, Decimal("1")))
    return quantity * factor, base


def is_divisible(unit: str) -> bool:
    return unit in DIVISIBLE_UNITS
