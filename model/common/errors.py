"""The one exception type the CLI turns into a clear message and a non-zero exit."""

from __future__ import annotations

import sys
from typing import Callable


class UserError(RuntimeError):
    """Bad input the user can fix (missing data, a corrupt file, a value out of range).

    The message must say what is wrong and how to fix it.
    """


def run_cli(command: Callable[[], int | None]) -> int:
    """Run a command-line entry point: its exit status, or 2 with ``error: <message>`` on a
    :class:`UserError` and 130 on Ctrl-C, never a bare traceback."""
    try:
        return command() or 0
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
