"""`manage.py check --deploy` with the production settings reports no warning at all (security
settings, and the API schema: one name per component and per choice set)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_with_production_settings_reports_nothing():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SECURE_", "DATABASE_URL", "CACHE_URL", "DEBUG"))
    }
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY="x" * 20 + "-production-check-secret-key-0123456789",
        EMAIL_URL="smtp+tls://user:pass@smtp.example.vn:587",
        BANK_RECONCILE_TOKEN="a-real-bank-reconcile-token-of-32-chars-or-more",
        DATABASE_URL="sqlite:///:memory:",
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
