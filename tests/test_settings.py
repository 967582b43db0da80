"""Settings from the environment: no default key in production, and a clean deploy check."""

import os
import secrets
import subprocess
import sys

from django.conf import settings

IMPORT_SETTINGS = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_without_a_secret_key_refuses_to_start():
    result = run(["-c", IMPORT_SETTINGS], DEBUG="0")
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_production_with_a_secret_key_starts():
    result = run(["-c", IMPORT_SETTINGS], DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_debug_runs_with_the_development_key():
    result = run(["-c", IMPORT_SETTINGS + "; print(settings.SECRET_KEY)"], DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "insecure-development-key-only-used-with-debug-on"]


def test_the_deploy_check_is_clean_with_production_settings(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.com",
        GROUNDWORK_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_the_deploy_check_catches_a_weak_key(tmp_path):
    """The check above can fail: with a short key the same command reports it."""
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="0",
        SECRET_KEY="short",
        ALLOWED_HOSTS="example.com",
        GROUNDWORK_VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr
