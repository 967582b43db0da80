"""One's own API token: rotate it, revoke it; the old key stops working with the next request."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conftest import PASSWORD


@pytest.fixture(autouse=True)
def _fast_hashes(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_logging_in_gives_the_users_token(manager):
    response = APIClient().post("/api/auth/token/", {"username": "manager", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=manager).key}


def test_rotating_gives_a_new_token_and_the_old_one_stops_working(manager, api_client):
    client = api_client(manager)
    old = Token.objects.get(user=manager).key
    assert client.get("/api/projects/").status_code == 200

    response = client.post("/api/auth/token/rotate/")
    assert response.status_code == 200
    new = response.json()["token"]
    assert new and new != old
    assert client.get("/api/projects/").status_code == 401
    assert with_token(new).get("/api/projects/").status_code == 200
    assert list(Token.objects.filter(user=manager).values_list("key", flat=True)) == [new]


def test_revoking_stops_the_token_at_once(manager, annotator, api_client):
    client = api_client(manager)
    other = api_client(annotator)
    assert client.get("/api/projects/").status_code == 200

    assert client.delete("/api/auth/token/").status_code == 204
    response = client.get("/api/projects/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert not Token.objects.filter(user=manager).exists()
    # Only the caller's own token goes.
    assert other.get("/api/projects/").status_code == 200
    # Logging in again issues a new one.
    response = APIClient().post("/api/auth/token/", {"username": "manager", "password": PASSWORD})
    assert with_token(response.json()["token"]).get("/api/projects/").status_code == 200


def test_rotate_and_revoke_need_a_logged_in_caller(db):
    assert APIClient().post("/api/auth/token/rotate/").status_code == 401
    assert APIClient().delete("/api/auth/token/").status_code == 401
    assert with_token("not-a-token").delete("/api/auth/token/").status_code == 401


def test_a_session_user_can_rotate_their_token(manager):
    client = APIClient()
    client.force_login(manager)
    response = client.post("/api/auth/token/rotate/")
    assert response.status_code == 200
    assert with_token(response.json()["token"]).get("/api/projects/").status_code == 200
