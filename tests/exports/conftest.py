from tests.explorer.conftest import explored  # noqa: F401  (fixture)
