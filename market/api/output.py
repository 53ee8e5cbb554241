"""Output serializers answered from one set of fields per class.

DRF builds a serializer's fields for every instance it makes: a ModelSerializer introspects its
model for each field, and a nested `many=True` serializer does it again for its child. For an
answer of five nested serializers (the checkout API: checkout, orders, lines, timeline,
payments) that was ~1.6 ms of the ~1.9 ms its output cost, on every checkout under
bench/load.py. `represent` builds them once per serializer class and per process, and answers
with the same `to_representation` DRF's `.data` runs: the same dict, so the same JSON bytes.

Only for output serializers whose fields keep no state between objects and read no request
context (`self.context` is empty here): model fields, SerializerMethodFields, nested output
serializers. An input serializer (validation, `errors`) is never shared.
"""

import threading
from typing import Any

from rest_framework import serializers

_templates: dict[type[serializers.BaseSerializer], serializers.BaseSerializer] = {}
_lock = threading.Lock()


def _template(serializer_class: type[serializers.BaseSerializer]) -> serializers.BaseSerializer:
    template = _templates.get(serializer_class)
    if template is None:
        with _lock:  # built once, complete, before any thread reads it
            template = _templates.get(serializer_class)
            if template is None:
                template = serializer_class()
                _build_fields(template)
                _templates[serializer_class] = template
    return template


def _build_fields(serializer: Any) -> None:
    """Build the fields of `serializer` and of every serializer nested in it (DRF builds them
    lazily, on first use: here they are built under the lock, not by two threads at once)."""
    if isinstance(serializer, serializers.ListSerializer):
        _build_fields(serializer.child)
    elif isinstance(serializer, serializers.Serializer):
        for field in serializer.fields.values():
            _build_fields(field)


def represent(serializer_class: type[serializers.BaseSerializer], instance: Any) -> dict:
    """`serializer_class(instance).data`, as a plain dict, without building the fields again."""
    return _template(serializer_class).to_representation(instance)
