"""The errors a person sees: bad input (naming the field), a missing object, a service that cannot start."""


class InvalidInput(ValueError):
    """A value given by a user (CLI, import file, HTTP form) was rejected.

    `field` is the name the user knows the value by (a CLI option, a CSV column), so every
    message can point at it: "extension: must be 2 to 6 digits".
    """

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(LookupError):
    """A named object does not exist in the tenant it was looked up in."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Conflict(InvalidInput):
    """The value is well formed but clashes with what is stored: a name already taken, a row
    something still routes to. Front ends that distinguish it (HTTP 409) may; the CLI treats it
    as any bad input."""


class CannotStart(RuntimeError):
    """Something outside Centralita is not there: the database is down, a port is taken.

    The command line prints the message as one line (no traceback) and exits 1.
    """
