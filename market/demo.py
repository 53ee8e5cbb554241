"""The market app's demo data, where `manage.py seed_demo` looks for it (`<app>.demo`): demo
people and the cooperatives of the demo market live in market/cooperatives/demo.py."""

from market.cooperatives.demo import seed  # noqa: F401
