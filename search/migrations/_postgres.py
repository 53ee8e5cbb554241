"""The search app's PostgreSQL-only migration steps (full text, the names table, its indexes):
statements run on PostgreSQL and skipped on every other database. The migration loader skips
modules whose names start with "_", so this is not a migration itself."""

from collections.abc import Sequence

from django.db import migrations


def _statements(sqls: Sequence[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in sqls:
                schema_editor.execute(sql)

    return run


def postgres_only(forward: Sequence[str], backward: Sequence[str]) -> migrations.RunPython:
    """A step that runs `forward` on PostgreSQL, and `backward` when unapplied."""
    return migrations.RunPython(_statements(forward), _statements(backward))
