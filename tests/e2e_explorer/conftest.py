"""The explorer in a real Chromium: the labeling folder's signed-in tabs against ``live_server``."""

from tests.e2e_labeling.conftest import live_server_without_nagle, open_tab  # noqa: F401  (fixtures)
