"""The error answers every operation of the schema documents, written once.

Every API error has one shape (``config.errors``): ``{"detail": "..."}``, or for bad input the
serializer's field errors. The schema class below adds the errors any operation can answer, so
a view's ``extend_schema`` names only its successes and the errors peculiar to it
(``error_responses(409, 413)``).
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny

ErrorSerializer = inline_serializer("Error", {"detail": serializers.CharField()})

# Field errors name the field; nested serializers nest them. A rule that is no field's says "detail".
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": '`{"detail": "..."}`, or each field that was refused with its messages.',
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {},
}

ERROR_DESCRIPTIONS = {
    400: "The input was refused.",
    401: "No credentials, or a token that is not (or no longer) valid.",
    403: "The caller's role in the project does not allow this.",
    404: "No such object, or one in a project the caller is not a member of.",
    409: "The object's state does not allow this now.",
    413: "The upload is larger than the limit.",
    429: "Too many attempts; `Retry-After` says how many seconds to wait.",
    503: "Not ready yet (a worker is still adding a large version's items); `Retry-After` says when to ask again.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error answers for ``codes``, in the API's one error shape."""
    return {
        code: OpenApiResponse(
            VALIDATION_ERROR_SCHEMA if code == 400 else ErrorSerializer, description=ERROR_DESCRIPTIONS[code]
        )
        for code in codes
    }


class GroundworkAutoSchema(AutoSchema):
    """Adds the errors any operation answers: 400 bad input, 401/403 when it needs a caller, 404
    when its path names an object."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = [400]
        if not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            codes += [401, 403]
        if "{" in self.path:
            codes.append(404)
        for code, response in error_responses(*codes).items():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(response, str(code), direction=direction)
        return responses
