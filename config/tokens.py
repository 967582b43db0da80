"""A user's API token: issue, rotate and revoke.

``FastTokenAuthentication`` reads the token row on every request, so a token deleted here
stops working with the next request, in every process.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from rest_framework.authtoken.models import Token


def token_issue(*, user: AbstractBaseUser) -> Token:
    """The user's token, created on first use (what ``POST /api/auth/token/`` answers)."""
    token, _ = Token.objects.get_or_create(user=user)
    return token


def token_rotate(*, user: AbstractBaseUser) -> Token:
    """A new token for the user; the old one stops working."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


def token_revoke(*, user: AbstractBaseUser) -> bool:
    """Delete the user's token; whether there was one."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)
