"""Failed logins are limited per username and per client address, on the page and the API alike."""

import subprocess
import sys
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD, _database_url

LIMIT = 3
COOLOFF = timedelta(minutes=15)


@pytest.fixture(autouse=True)
def _small_limit_and_fast_hashes(settings):
    """A limit of three; users made here get a cheap hash, so a dozen logins take no seconds."""
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = COOLOFF
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def page_login(username: str, password: str, address: str = "10.0.0.1"):
    return Client(REMOTE_ADDR=address).post("/accounts/login/", {"username": username, "password": password})


def api_login(username: str, password: str, address: str = "10.0.0.1"):
    return Client(REMOTE_ADDR=address).post("/api/auth/token/", {"username": username, "password": password})


def assert_locked_page(response) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == str(int(COOLOFF.total_seconds()))
    assert "Too many failed logins" in response.content.decode()
    assert "Try again in 15 minutes" in response.content.decode()


def assert_locked_api(response) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == str(int(COOLOFF.total_seconds()))
    assert response.json() == {
        "detail": "Too many failed logins for this account or from this address. Try again in 15 minutes."
    }


def test_wrong_passwords_on_the_page_lock_the_username_even_with_the_right_password(manager):
    for _ in range(LIMIT - 1):
        assert page_login("manager", "wrong").status_code == 200
    assert_locked_page(page_login("manager", "wrong"))
    # The right password, from another address, is refused too: the username is locked.
    assert_locked_page(page_login("manager", PASSWORD, address="10.0.0.2"))
    assert_locked_api(api_login("manager", PASSWORD, address="10.0.0.3"))


def test_wrong_passwords_to_the_api_are_limited_and_answer_json(manager, annotator):
    for _ in range(LIMIT - 1):
        response = api_login("manager", "wrong")
        assert response.status_code == 400
        assert "Unable to log in" in str(response.json())
    assert_locked_api(api_login("manager", "wrong"))
    assert_locked_api(api_login("manager", PASSWORD, address="10.0.0.9"))
    # Another user from another address is not affected.
    assert api_login("annotator1", PASSWORD, address="10.0.0.9").status_code == 200


def test_one_address_trying_many_usernames_is_limited(manager, annotator):
    for name in ("alice", "bob", "carol"):
        page_login(name, "wrong", address="10.0.0.7")
    assert_locked_api(api_login("annotator1", PASSWORD, address="10.0.0.7"))
    assert api_login("annotator1", PASSWORD, address="10.0.0.8").status_code == 200


def test_the_lock_ends_after_the_cool_off(manager):
    for _ in range(LIMIT):
        api_login("manager", "wrong")
    assert_locked_api(api_login("manager", PASSWORD))
    AccessAttempt.objects.update(attempt_time=timezone.now() - COOLOFF - timedelta(seconds=1))
    response = api_login("manager", PASSWORD)
    assert response.status_code == 200 and response.json()["token"]


def test_a_right_password_before_the_limit_logs_in(manager):
    for _ in range(LIMIT - 1):
        page_login("manager", "wrong")
    response = page_login("manager", PASSWORD)
    assert response.status_code == 302


def test_the_address_behind_a_proxy_is_the_forwarded_one(settings, manager):
    settings.GROUNDWORK_PROXY_COUNT = 1
    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    for name in ("alice", "bob", "carol"):
        Client(REMOTE_ADDR="10.0.0.1", **forwarded).post("/api/auth/token/", {"username": name, "password": "x"})
    # The proxy's own address is not locked; the client behind it is.
    assert api_login("manager", PASSWORD, address="10.0.0.1").status_code == 200
    assert_locked_api(
        Client(REMOTE_ADDR="10.0.0.1", **forwarded).post(
            "/api/auth/token/", {"username": "manager", "password": PASSWORD}
        )
    )


def test_failures_counted_by_another_process_lock_this_one(transactional_db, manager, tmp_path):
    """The counts live in the database: another web process sees them (here, a separate Python process)."""
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "for _ in range(3):\n"
        "    client = Client(REMOTE_ADDR='10.0.0.1', HTTP_HOST='localhost')\n"
        "    r = client.post('/api/auth/token/', {'username': 'manager', 'password': 'no'})\n"
        "    print(r.status_code)\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "GROUNDWORK_VAR_DIR": str(tmp_path),
        "DATABASE_URL": _database_url(),
        "GROUNDWORK_LOGIN_FAILURE_LIMIT": str(LIMIT),
        "GROUNDWORK_LOGIN_COOLOFF_SECONDS": str(int(COOLOFF.total_seconds())),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["400", "400", "429"], result.stdout
    assert_locked_api(api_login("manager", PASSWORD, address="10.0.0.2"))
