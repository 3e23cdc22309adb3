"""Production settings refuse to start without their secrets and pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3y-For-Tests-Only_0123456789-abcdefghij-KLMNOPQRST-uvwxyz-!@#$%^"


def run_manage(*args, env_overrides, drop=()):
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a deployment never has it.
    env = {k: v for k, v in os.environ.items() if k not in {*drop, "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.production"
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_secret_key(tmp_path):
    result = run_manage(
        "check", env_overrides={"ALLOWED_HOSTS": "portal.example.cn", "PORTAL_VAR_DIR": str(tmp_path)},
        drop=("SECRET_KEY",),
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    result = run_manage(
        "check", env_overrides={"SECRET_KEY": STRONG_KEY, "PORTAL_VAR_DIR": str(tmp_path)}, drop=("ALLOWED_HOSTS",)
    )
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set in production" in result.stderr


def test_production_passes_the_deployment_checks_without_warnings(tmp_path):
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        env_overrides={"SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "portal.example.cn", "PORTAL_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
