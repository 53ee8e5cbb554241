"""Security audit, finding 6 (settings): production must not start without its secrets (the
README said BANK_RECONCILE_TOKEN was required; it was not), and `check --deploy` with production
settings must report no security warning (HSTS lacked includeSubDomains and preload)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _production_env(tmp_path, **overrides) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "BANK_", "SECRET_", "EMAIL_", "STRIPE_"))
    }
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(60),
        BANK_RECONCILE_TOKEN=secrets.token_urlsafe(40),
        EMAIL_URL="smtp+tls://mailer:secret@smtp.example.vn:587",
        ALLOWED_HOSTS="htx.market",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        CACHE_URL="redis://127.0.0.1:6379/1",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/2",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"BANK_RECONCILE_TOKEN": None}, "BANK_RECONCILE_TOKEN"),
        ({"BANK_RECONCILE_TOKEN": "short"}, "BANK_RECONCILE_TOKEN must be at least 32"),
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": "x" * 60}, "SECRET_KEY must be a long random string"),
        ({"EMAIL_URL": None}, "EMAIL_URL"),
    ],
    ids=["no-bank-token", "short-bank-token", "no-secret-key", "weak-secret-key", "no-email"],
)
def test_production_refuses_to_start_without_a_secret(tmp_path, overrides, message):
    result = _manage(_production_env(tmp_path, **overrides), "check")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_check_deploy_with_production_settings_reports_no_warning(tmp_path):
    result = _manage(_production_env(tmp_path), "check", "--deploy")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout, (
        result.stdout + result.stderr
    )
