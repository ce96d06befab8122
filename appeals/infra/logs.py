"""Logs: one JSON object a line (python-json-logger) or plain text, for
uvicorn's loggers, ours and the libraries' alike (docs/observability.md).

``APPEALS_LOG_FORMAT``: ``json``, ``text`` or ``auto`` (the default: text
when stderr is a terminal, JSON otherwise, as under systemd, in a container
or piped to a file). The configuration is a ``logging.config.dictConfig``
dictionary, handed to uvicorn as its ``log_config`` so that every worker
process of ``appeals serve --workers N`` configures itself the same way.

A JSON line carries ``time`` (UTC, ISO 8601), ``level``, ``logger``,
``process`` (the worker's pid), ``message`` and whatever the call site
passed as ``extra``: the access line of every request (``appeals.access``,
written by :class:`appeals.http.metrics.RequestObserver`) has
``request_id``, ``method``, ``route`` (the template, never the raw path or
query string), ``status``, ``duration_ms``, ``role``, ``outcome`` and, for a write,
``command``. Nothing logs a token, a request body or a query string (httpx's
own line per outgoing request, whole URL included, is kept below INFO: a
webhook URL may carry a token).
"""

from __future__ import annotations

import logging
import logging.config
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter

from appeals.infra.settings import LogFormat

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"

DROPPED = ("color_message",)
"""Record attributes never written: uvicorn's ANSI-coloured copy of a
message."""


class JsonLines(JsonFormatter):
    """python-json-logger's formatter with the house's field names (``time``
    in UTC, ``level``, ``logger``), Chinese kept as it is, and uvicorn's
    coloured duplicate dropped."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "rename_fields",
            {"asctime": "time", "levelname": "level", "name": "logger"},
        )
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def formatTime(  # noqa: N802 (logging's name)
        self, record: logging.LogRecord, datefmt: str | None = None
    ) -> str:
        instant = datetime.fromtimestamp(record.created, UTC)
        return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        for name in DROPPED:
            log_data.pop(name, None)
        return log_data


def resolve(log_format: LogFormat, stream: TextIO | None = None) -> str:
    """``json`` or ``text``: ``auto`` is text on a terminal, JSON elsewhere."""
    if log_format != "auto":
        return log_format
    target = stream if stream is not None else sys.stderr
    try:
        return "text" if target.isatty() else "json"
    except (AttributeError, ValueError):  # closed or not a real stream
        return "json"


def log_config(log_format: LogFormat, level: str = "INFO") -> dict[str, Any]:
    """The ``dictConfig`` for ``log_format``: one handler on stderr at the
    root, and uvicorn's loggers (which keep handlers of their own by
    default) passing their records up to it."""
    chosen = resolve(log_format)
    formatter: dict[str, Any] = (
        {"()": JsonLines, "fmt": JSON_FIELDS}
        if chosen == "json"
        else {"format": TEXT_FORMAT}
    )
    uvicorn = {"handlers": [], "level": level, "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"appeals": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "appeals",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": uvicorn,
            "uvicorn.error": uvicorn,
            # Our access line replaces uvicorn's, which carries the raw path
            # and query string (an Open311 api_key is a query parameter).
            # Without a handler of its own or its parents', uvicorn does not
            # even make the line (its protocol asks ``hasHandlers()``); the
            # level alone would not do, as uvicorn sets it to ``info``.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            # httpx logs every request it makes at INFO with its whole URL: a
            # webhook subscriber's URL may carry a token in its query string
            # (钉钉 and 企业微信 robots do), and a line per delivery is noise.
            # Their warnings still come through; the deliverer logs outcomes.
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        },
    }


def configure(log_format: LogFormat, level: str = "INFO") -> None:
    """Configures this process's logging (commands other than ``serve``,
    whose uvicorn applies :func:`log_config` in each worker)."""
    logging.config.dictConfig(log_config(log_format, level))
