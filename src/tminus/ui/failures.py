"""Where a failed user intent becomes visible: a notification that names the action, and
a line in the console log (`console.log` in the data directory) while it is writable."""

from __future__ import annotations

import logging
import os
import traceback
from io import TextIOWrapper
from typing import Any

from textual.worker import Worker

from tminus.core.paths import UnsafeDirectory, data_dir, private_dir
from tminus.core.redact import scrub

log = logging.getLogger("tminus.console")


class _PrivateFileHandler(logging.FileHandler):
    """0600 like the session files; a failing disk is already on screen, so a log write
    that fails is dropped instead of printing a traceback over the console."""

    def _open(self) -> TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return open(fd, "a", encoding=self.encoding)  # the handler closes it

    def handleError(self, record: logging.LogRecord) -> None:
        return


def console_log_handler() -> logging.Handler | None:
    """A handler writing to the console log, or None when the data directory is unusable
    (unwritable, or refused as unsafe: the commands say so before a console opens)."""
    try:
        path = private_dir(data_dir()) / "console.log"
    except (OSError, UnsafeDirectory):
        return None
    handler = _PrivateFileHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return handler


def failure_text(worker: Worker[Any]) -> str:
    """'Saving the note failed: cannot write …: No space left on device'."""
    what = worker.description or worker.name or "A background task"
    error = worker.error
    reason = str(error) if error is not None and str(error) else type(error).__name__
    return str(scrub(f"{what} failed: {reason}"))


def report_failure(worker: Worker[Any]) -> str:
    """Log the failure (its traceback scrubbed of secrets, like its text) and return the
    text to show."""
    text = failure_text(worker)
    error = worker.error
    trace = "".join(traceback.format_exception(error)) if error is not None else ""
    log.error("%s\n%s", text, scrub(trace))
    return text
