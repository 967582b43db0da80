"""Content negotiation for endpoints whose ``?format=`` names a file format of their own."""

from rest_framework.negotiation import BaseContentNegotiation


class FormatIsNotARenderer(BaseContentNegotiation):
    """Here ``?format=`` names the file to produce, not one of DRF's renderers: errors stay JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
