"""Load demo data once: `manage.py seed_demo`. Safe to re-run (each step is idempotent).

Each app may have a `demo.py` with `seed(log) -> str` (a one-line summary); they run in
INSTALLED_APPS order, so `market` seeds people and cooperatives before `catalog` seeds products.
Found by name, so `market` does not import the apps above it.
"""

import importlib
import time

from django.apps import apps
from django.core.management.base import BaseCommand

# Apps whose demo module is not `<app>.demo` (market's moved into its cooperatives package; a
# missing market demo silently left the demo without cooperatives, products or orders).
DEMO_MODULES = {"market": "market.cooperatives.demo"}


def demo_modules() -> list:
    """The apps' demo modules, in INSTALLED_APPS order."""
    found = []
    for app in apps.get_app_configs():
        name = DEMO_MODULES.get(app.name, f"{app.name}.demo")
        try:
            found.append((app.label, importlib.import_module(name)))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return found


class Command(BaseCommand):
    help = "Load demo cooperatives, products and users (idempotent)."

    def handle(self, *args, **options):
        started = time.monotonic()
        summaries = []
        for label, module in demo_modules():
            self.stdout.write(f"seeding {label} …")
            summaries.append(module.seed(lambda msg: self.stdout.write(f"  {msg}")))
        took = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"seed_demo done in {took:.1f}s: " + "; ".join(summaries))
        )
