"""The one exception type the CLI turns into a clear message and a non-zero exit."""


class UserError(RuntimeError):
    """Bad input the user can fix (missing data, a corrupt file, a value out of range).

    The message must say what is wrong and how to fix it.
    """
