"""The command line's one error type: a user-facing failure, printed as one line, with its exit code."""


class CliError(Exception):
    """A user-facing failure: printed as one line, exit code attached."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code
