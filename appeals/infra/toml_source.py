"""Reading operators' TOML files (SLA policy, official calendar schedules) so
that every refusal names the file, the line and the reason."""

from __future__ import annotations

import os
import re
import tomllib
from typing import Any

_TOMLLIB_PLACE = re.compile(
    r"\s*\(at line (\d+), column \d+\)$|\s*\(at end of document\)$"
)
_TOML_HEADER = re.compile(r"\s*\[\[?([^\]]+)\]\]?\s*(#.*)?$")
_TOML_KEY = re.compile(r"\s*([\w\-\"'. ]+?)\s*=")


class TomlFileError(Exception):
    """A file that cannot be used, with where (file, line) and why; its text
    is ``FILE:LINE: reason``."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        super().__init__(path, line, reason)
        self.path, self.line, self.reason = path, line, reason

    def __str__(self) -> str:
        place = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{place}: {self.reason}"


def read_text(path: str | os.PathLike[str], error: type[TomlFileError]) -> str:
    """A file's UTF-8 text, or ``error`` saying why it cannot be read."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as file:
            return file.read().decode("utf-8")
    except OSError as problem:
        raise error(name, None, f"cannot read: {problem.strerror}") from None
    except UnicodeDecodeError:
        raise error(name, None, "not UTF-8 text") from None


def parse_toml(text: str, path: str, error: type[TomlFileError]) -> dict[str, Any]:
    """The parsed document, or ``error`` with tomllib's line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        message = str(problem)
        place = _TOMLLIB_PLACE.search(message)
        line = None
        if place is not None:
            line = int(place[1]) if place[1] else max(1, len(text.splitlines()))
            message = message[: place.start()]
        raise error(path, line, f"not valid TOML: {message}") from None


def line_of(text: str, path: tuple[str, ...], value: str | None = None) -> int | None:
    """Best-effort line of the key ``path`` (and of ``value`` in its array).

    A missing key is reported at the line of the nearest enclosing table; a
    table header or dotted key that starts with the path also counts, so an
    unknown category is found in ``[categories.food.resolve]``.
    """
    for depth in range(len(path), 0, -1):
        line = _line_of_key(text, path[:depth], value if depth == len(path) else None)
        if line is not None:
            return line
    return None


def _line_of_key(text: str, path: tuple[str, ...], value: str | None) -> int | None:
    table: tuple[str, ...] = ()
    key_line: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        header, key = _TOML_HEADER.match(line), _TOML_KEY.match(line)
        if key_line is not None and (header or key):
            break  # left the key's value without finding ``value`` on a later line
        if header:
            table = _toml_key(header[1])
            if table[: len(path)] == path:
                return number
        elif key and (table + _toml_key(key[1]))[: len(path)] == path:
            key_line = number
            if value is None:
                return number
        if key_line is not None and value is not None and value in line:
            return number
    return key_line


def _toml_key(raw: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in raw.split("."))
