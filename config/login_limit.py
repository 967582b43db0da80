"""A limit on failed logins, per username and per client address (django-axes).

Axes counts failures in the database (its database handler), so every web process sees the
same counts and the embedded default needs no Redis. The page (``/accounts/login/``), the
token endpoint and the admin all log in through ``authenticate(request=...)`` and so share
one count. Once either count reaches ``AXES_FAILURE_LIMIT`` within the cool-off, every login
for that username or from that address is refused, the right password included, until the
cool-off has passed since the last failure.
"""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


class LoginLimitBackend(AxesStandaloneBackend):
    """Axes' check, skipped for a login with no web request behind it (a shell, Django's test client)."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs
    ):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def client_address(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or behind ``GROUNDWORK_PROXY_COUNT`` proxies the address the
    outermost one saw. A forwarded header is not trusted otherwise: anyone could send one per attempt."""
    proxies = settings.GROUNDWORK_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _in_words(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return f"{seconds} seconds" if seconds < 60 else f"{minutes} minute{'s' if minutes != 1 else ''}"


def lockout_message() -> str:
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    return f"Too many failed logins for this account or from this address. Try again in {_in_words(seconds)}."


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """429 with Retry-After: ``{"detail": ...}`` for the API, the login page with the message otherwise.

    A failure during the lockout starts the cool-off again, so right after one the wait is the whole cool-off.
    """
    message = lockout_message()
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=429)
    else:
        form = AuthenticationForm(request, initial={"username": (credentials or {}).get("username", "")})
        context = {"form": form, "lockout_message": message, "next": request.POST.get("next", "")}
        response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
