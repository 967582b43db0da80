"""The review's fixtures (a labeled project, a team, any task type) serve the model evaluation too."""

from tests.review.conftest import labeled, make_project, team  # noqa: F401
