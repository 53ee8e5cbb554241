from typing import TypedDict

from django.db import models


class DecimalSpec(TypedDict):
    max_digits: int
    decimal_places: int


# The decimal columns every app uses (model fields and the serializers that mirror them).
QTY: DecimalSpec = {"max_digits": 14, "decimal_places": 3}  # quantities, in any unit
MONEY: DecimalSpec = {"max_digits": 16, "decimal_places": 2}  # amounts in a quoted currency


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
