"""Load demo data once: `manage.py seed_demo`. Safe to re-run (each step is idempotent).

Each app may have a `demo.py` with `seed(log) -> str` (a one-line summary); they run in
INSTALLED_APPS order, so `market` seeds people and cooperatives before `catalog` seeds products.
Found by name, so `market` does not import the apps above it.
"""

import importlib
import time
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load demo cooperatives, products and users (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        summaries = []
        for app in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{app.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app.name}.demo":
                    raise
                continue
            self.stdout.write(f"seeding {app.label} …")
            summaries.append(module.seed(lambda msg: self.stdout.write(f"  {msg}")))
        took = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"seed_demo done in {took:.1f}s: " + "; ".join(summaries))
        )
