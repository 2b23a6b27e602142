"""The one exception type users see."""


class GestureError(Exception):
    """A problem with the user's input or machine: the CLI prints the message as one line and exits 2.

    The message says what was wrong and how to fix it. Bugs are not GestureErrors.
    """


class SourceError(GestureError):
    """A frame source that cannot be opened or read: a missing camera, file or folder, a bad synth: script."""


class SourceLost(SourceError):
    """A camera stopped delivering frames mid-stream (unplugged, or taken by another program)."""
