"""The token endpoints: log in for a token, rotate it, revoke it."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_schema import VALIDATION_ERROR_SCHEMA
from config.tokens import token_issue, token_revoke, token_rotate

TokenSerializer = inline_serializer("Token", {"token": serializers.CharField()})
DetailSerializer = inline_serializer("Detail", {"detail": serializers.CharField()})


class TokenApi(APIView):
    """POST logs in for a token (anyone); DELETE revokes the caller's own token."""

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(
        operation_id="auth_token_create",
        request=AuthTokenSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                VALIDATION_ERROR_SCHEMA, description="Wrong username or password, or a field missing."
            ),
            429: OpenApiResponse(
                DetailSerializer,
                description="Too many failed logins for this username or from this address; "
                "`Retry-After` says how many seconds to wait.",
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        # Django's own request, not DRF's wrapper: the login limit marks a refused attempt on it for its middleware.
        login = AuthTokenSerializer(data=request.data, context={"request": request._request})
        login.is_valid(raise_exception=True)
        return Response({"token": token_issue(user=login.validated_data["user"]).key})

    @extend_schema(
        operation_id="auth_token_destroy",
        request=None,
        responses={204: OpenApiResponse(description="The caller's token is deleted; it stops working at once.")},
    )
    def delete(self, request: Request) -> Response:
        token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRotateApi(APIView):
    @extend_schema(
        operation_id="auth_token_rotate",
        request=None,
        responses={200: OpenApiResponse(TokenSerializer, description="A new token; the old one stops working.")},
    )
    def post(self, request: Request) -> Response:
        return Response({"token": token_rotate(user=request.user).key})
