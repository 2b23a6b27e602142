"""The one exception type users see."""


class GestureError(Exception):
    """A problem with the user's input or machine: the CLI prints the message as one line and exits 2.

    The message says what was wrong and how to fix it. Bugs are not GestureErrors.
    """


class SourceError(GestureError):
    """A frame source that cannot be opened or read: a missing camera, file or folder, a bad synth: script."""


class SourceLost(SourceError):
    """A camera stopped delivering frames mid-stream (unplugged, or taken by another program)."""


def first_line(e: BaseException, limit: int | None = 100) -> str:
    """An exception's message as one short line: its first line, at most `limit` characters."""
    text = str(e)
    return text.splitlines()[0][:limit] if text else ""


def describe(e: BaseException) -> str:
    """'Type: first line of the message', for a one-line error that names what failed."""
    return f"{type(e).__name__}: {first_line(e)}"
