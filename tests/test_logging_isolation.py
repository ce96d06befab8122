"""Each test's logging is put back after it (tests/conftest.py,
``logging_restored``): a test that applies the service's logging
configuration, as a command run in-process does, leaves no handler behind on
the stderr its capture closes. The two tests run in this order (pytest keeps
a module's order)."""

from __future__ import annotations

import logging
import sys

import pytest

from appeals.infra.logs import configure


def test_a_command_logs_to_the_stderr_of_its_moment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure("json")
    handlers = logging.getLogger().handlers
    assert any(getattr(handler, "stream", None) is sys.stderr for handler in handlers)
    logging.getLogger("appeals.isolation").warning("written while captured")
    assert "written while captured" in capsys.readouterr().err


def test_no_later_test_finds_a_handler_on_a_closed_stream() -> None:
    manager = logging.Logger.manager
    loggers = [logging.getLogger()] + [
        logger
        for logger in manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            stream = getattr(handler, "stream", None)
            assert stream is None or not stream.closed, (logger.name, handler)
