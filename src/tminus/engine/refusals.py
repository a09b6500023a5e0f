"""Why the engine refuses an intent (the views show the message as it is)."""


class ReadOnlyError(Exception):
    """An intent that would change the world or the session, refused in read-only mode."""
