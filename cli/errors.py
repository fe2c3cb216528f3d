"""The one exception type for bad input.

Library code raises :class:`BoundlabError` (a ``ValueError``) with a one-line message that
names the offending parameter and its allowed range; the command line prints that line and
exits with status 2 instead of showing a traceback.
"""


class BoundlabError(ValueError):
    """Invalid user input: the message is a single line meant for the user."""
