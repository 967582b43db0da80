"""The browser fixtures of the quality pages, and the review's project fixtures."""

from tests.e2e_quality.conftest import page_as, shot  # noqa: F401
from tests.review.conftest import make_project, team  # noqa: F401
