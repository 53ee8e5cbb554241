"""Fixtures shared by the integration tests."""

import pytest


@pytest.fixture
def admin_units():
    """A transactional test flushes every table, reference data included, when it ends: reload
    the administrative units when an earlier one left them empty. ~1 s, where
    serialized_rollback costs ~10 s a test on this 2-core box."""
    from market.models import Province
    from market.reference.admin_units import load

    if not Province.objects.exists():
        load()
