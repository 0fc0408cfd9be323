"""The one exception the runner shows to a user instead of a traceback."""


class StackError(Exception):
    """Something the user can fix: the message says what is wrong and what to run."""
