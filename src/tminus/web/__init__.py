"""The war room over HTTP: the live status page (server-sent events). No Textual here."""
