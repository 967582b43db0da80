"""The one error the validation engine raises for bad user input."""


class SuiteError(ValueError):
    """A suite or settings the user gave cannot be used; the message is shown as the 400 reason."""
