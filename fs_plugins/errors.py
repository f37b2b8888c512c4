"""The errors the application layer raises; each names the field it is about.

Front ends map them, and nothing else: the CLI exits 2 for InvalidInput (Conflict included) and
1 for NotFound, Forbidden and CannotStart; the REST API answers problem+json with the field: InvalidInput 422,
Conflict 409, NotFound 404, Forbidden 403.
"""


class InvalidInput(ValueError):
    """A value given by a user (CLI, import file, HTTP form) was rejected.

    `field` is the name the value is given by: the app function's argument, which is the REST
    API's field (the CLI shows it as its option, e.g. ``--to``), or a CSV column; so every message
    can point at it: "extension: must be 2 to 6 digits".
    """

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Conflict(InvalidInput):
    """The value is well formed but clashes with what is stored: the extension is taken, the
    number belongs to someone, something still routes to the row being removed."""


class NotFound(LookupError):
    """A named object does not exist in the tenant it was looked up in (or the actor may not see it)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Forbidden(PermissionError):
    """The actor may see the object but not do this to it (a user changing another user)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CannotStart(RuntimeError):
    """Something outside Centralita is not there: the database is down, a port is taken.

    The command line prints the message as one line (no traceback) and exits 1.
    """
