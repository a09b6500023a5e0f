"""The Textual console: app, screens, widgets, themes, keys. Nothing below imports it."""
