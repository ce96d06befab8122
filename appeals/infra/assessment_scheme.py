"""Load an assessment scheme (``Scheme``, appeals.domain.assessment) from a
TOML file; ``default_assessment.toml`` beside this module documents each key::

    version = "assessment-2026-1"   # required: cited by every published month
    name = "..."                    # required
    source = "..."                  # where the weights come from
    min_sample = 5                  # smallest denominator that is ranked
    [indicators.<key>]              # key: response_rate, satisfaction_rate, ...
    weight = 0.35                   # the weights sum to 1
    floor = 0.6                     # optional: below it the indicator scores 0

Errors name the file, the line and the key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from appeals.domain.assessment import INDICATORS, Scheme, Weighting
from appeals.infra.settings import ConfigurationError, Settings
from appeals.infra.toml_source import TomlFileError, line_of, parse_toml, read_text

DEFAULT_SCHEME_FILE = Path(__file__).with_name("default_assessment.toml")
_TOP_KEYS = ("version", "name", "source", "min_sample", "indicators")
_INDICATOR_KEYS = ("weight", "floor")


class SchemeFileError(TomlFileError):
    """A scheme file that cannot be used, with where (file, line) and why."""


def load_scheme(path: str | os.PathLike[str] = DEFAULT_SCHEME_FILE) -> Scheme:
    """Read a scheme file; without a path, the shipped default."""
    return parse_scheme(read_text(path, SchemeFileError), os.fspath(path))


def scheme_of(settings: Settings) -> Scheme:
    """The scheme in force: APPEALS_ASSESSMENT_SCHEME's file, else the default."""
    try:
        if settings.assessment_scheme_file:
            return load_scheme(settings.assessment_scheme_file)
        return load_scheme()
    except (OSError, SchemeFileError) as error:
        raise ConfigurationError(f"APPEALS_ASSESSMENT_SCHEME: {error}") from None


def parse_scheme(text: str, path: str = "<string>") -> Scheme:
    document = parse_toml(text, path, SchemeFileError)

    def refuse(keys: tuple[str, ...], reason: str) -> SchemeFileError:
        return SchemeFileError(path, line_of(text, keys), f"{'.'.join(keys)}: {reason}")

    if unknown := sorted(set(document) - set(_TOP_KEYS)):
        raise refuse((unknown[0],), f"unknown key; expected {', '.join(_TOP_KEYS)}")
    for key in ("version", "name"):
        if not isinstance(document.get(key), str) or not document[key].strip():
            raise refuse((key,), "required: a non-empty string")
    source = document.get("source", "")
    if not isinstance(source, str):
        raise refuse(("source",), "must be a string")
    min_sample = document.get("min_sample", 1)
    if (
        not isinstance(min_sample, int)
        or isinstance(min_sample, bool)
        or min_sample < 1
    ):
        raise refuse(("min_sample",), "must be a whole number, at least 1")
    table = document.get("indicators")
    if not isinstance(table, dict) or not table:
        raise refuse(("indicators",), "required: a table per indicator")
    weights: dict[str, Weighting] = {}
    for key, entry in table.items():
        place = ("indicators", key)
        if key not in INDICATORS:
            raise refuse(place, f"unknown indicator; expected {', '.join(INDICATORS)}")
        if not isinstance(entry, dict):
            raise refuse(place, "must be a table with weight (and floor)")
        if extra := sorted(set(entry) - set(_INDICATOR_KEYS)):
            raise refuse((*place, extra[0]), "unknown key; expected weight, floor")
        weight, floor = _number(entry.get("weight")), _number(entry.get("floor"))
        if weight is None or weight < 0:
            raise refuse((*place, "weight"), "required: a number, 0 or more")
        if "floor" in entry and (floor is None or not 0 <= floor <= 1):
            raise refuse((*place, "floor"), "must be a number between 0 and 1")
        weights[key] = Weighting(weight, floor)
    total = sum(w.weight for w in weights.values())
    if abs(total - 1) > 1e-9:
        raise refuse(("indicators",), f"the weights must sum to 1, not {total:g}")
    return Scheme(
        version=document["version"].strip(),
        name=document["name"].strip(),
        source=source.strip(),
        min_sample=min_sample,
        weights=weights,
    )


def _number(value: Any) -> float | None:
    """A TOML number as a float; None for anything else (booleans too)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
