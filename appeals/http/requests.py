"""Reading a request: the JSON body into a typed command (every bad field
reported), path and query values, ``If-Match`` and ``Idempotency-Key``.

A command's dataclass fields *are* its body schema; this module reads them
(and the OpenAPI document is generated from the same fields), so the parser
and the documentation cannot disagree.
"""

from __future__ import annotations

import dataclasses
import hashlib
import types
import typing
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import orjson
from starlette.requests import Request

from appeals.application.claims import IdempotentRequest
from appeals.domain.errors import AppealNotFound
from appeals.domain.values import Actor, Labelled
from appeals.http import parameters
from appeals.http.context import context_of
from appeals.http.parameters import invalid
from appeals.http.problems import HttpProblem

T = TypeVar("T")

DEFAULT_BODY_LIMIT = 64 * 1024


def require_json(content_type: str | None) -> None:
    """415 unless the body is declared as JSON."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise HttpProblem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"send application/json, not {media_type or 'no content type'}",
        )


def too_large(size: int, limit: int) -> HttpProblem:
    return HttpProblem(
        413,
        "body-too-large",
        "Request body too large",
        f"the body is over the limit of {limit} bytes",
        limit=limit,
    )


def parse_json(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a 400 problem."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise HttpProblem(
            400, "malformed-json", "Malformed JSON", f"the body is not JSON: {error}"
        ) from None
    if not isinstance(body, dict):
        raise HttpProblem(
            400, "malformed-json", "Malformed JSON", "the body must be a JSON object"
        )
    return body


_FIELD_TYPES: dict[type[Any], dict[str, Any]] = {}
_FIELDS: dict[type[Any], tuple[tuple[str, bool, tuple[bool, Any]], ...]] = {}


def field_types(command_class: type[Any]) -> dict[str, Any]:
    """A command's field types, resolved once per class, not per request."""
    found = _FIELD_TYPES.get(command_class)
    if found is None:
        hints = typing.get_type_hints(command_class)
        found = {f.name: hints[f.name] for f in dataclasses.fields(command_class)}
        _FIELD_TYPES[command_class] = found
    return found


def _fields(command_class: type[Any]) -> tuple[tuple[str, bool, tuple[bool, Any]], ...]:
    """Each field's name, whether it is required and its unwrapped type
    (:func:`_unwrap_optional`), worked out once per class."""
    found = _FIELDS.get(command_class)
    if found is None:
        types_by_name = field_types(command_class)
        found = tuple(
            (
                f.name,
                f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING,
                _unwrap_optional(types_by_name[f.name]),
            )
            for f in dataclasses.fields(command_class)
        )
        _FIELDS[command_class] = found
    return found


def build(command_class: type[T], body: dict[str, Any]) -> T:
    """The command from a decoded body, or a 422 listing every bad field."""
    errors: list[dict[str, str]] = []
    values: dict[str, Any] = {}
    types_by_name = field_types(command_class)
    for name in body:
        if name not in types_by_name:
            errors.append({"field": name, "reason": "is not a field of this command"})
    for name, required, unwrapped in _fields(command_class):
        if name not in body:
            if required:
                errors.append({"field": name, "reason": "is required"})
            continue
        try:
            values[name] = _convert(unwrapped, body[name])
        except ValueError as error:
            errors.append({"field": name, "reason": str(error)})
    if errors:
        raise invalid(errors)
    return command_class(**values)


def convert(annotation: Any, value: Any) -> Any:
    """One JSON value to the field's type (ValueError says why it cannot)."""
    return _convert(_unwrap_optional(annotation), value)


def _convert(unwrapped: tuple[bool, Any], value: Any) -> Any:
    optional, inner = unwrapped
    if value is None:
        if optional:
            return None
        raise ValueError("must not be null")
    if inner is str:
        if not isinstance(value, str):
            raise ValueError("must be a string")
        if "\x00" in value:  # PostgreSQL stores no NUL in text
            raise ValueError("must not contain NUL characters")
        return value
    if inner is bool:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if inner is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        return value
    if inner is datetime:
        return _instant(value)
    if typing.get_origin(inner) is tuple:
        if not isinstance(value, list):
            raise ValueError("must be a list")
        item_type = typing.get_args(inner)[0]
        return tuple(convert(item_type, item) for item in value)
    if inner is UUID:
        try:
            return UUID(str(value))
        except ValueError:
            raise ValueError("must be an appeal id (a UUID)") from None
    if isinstance(inner, type) and issubclass(inner, Labelled):
        for member in inner:
            if member.value == value:
                return member
        codes = ", ".join(m.value for m in inner)
        raise ValueError(f"must be one of: {codes}")
    raise TypeError(f"no conversion for {inner}")  # a programming error


def _unwrap_optional(annotation: Any) -> tuple[bool, Any]:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is (
        typing.Union
    ):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return True, args[0]
    return False, annotation


def _instant(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string")
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            "must be an ISO 8601 date-time, like 2026-11-23T17:30:00+08:00"
        ) from None
    if instant.tzinfo is None:
        raise ValueError("must include a time zone offset, like +08:00")
    return instant


async def read_body(request: Request) -> dict[str, Any]:
    """The JSON object body, read no further than the configured limit."""
    require_json(request.headers.get("content-type"))
    limit = context_of(request).body_limit
    declared = request.headers.get("content-length", "")
    digits = declared.isascii() and declared.isdigit()
    if digits and (len(declared) > 19 or int(declared) > limit):
        raise too_large(limit, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(size, limit)
        chunks.append(chunk)
    return parse_json(b"".join(chunks))


def path_uuid(request: Request) -> UUID:
    value = request.path_params["appeal_id"]
    try:
        return UUID(value)
    except ValueError:
        raise AppealNotFound(value) from None


def optional_positive_int(request: Request, name: str, minimum: int = 1) -> int | None:
    """``?name=N``, a whole number of at least ``minimum`` (below 2^63), or None."""
    raw = request.query_params.get(name)
    return parameters.whole_number(raw, name, minimum=minimum)


def optional_instant(request: Request, name: str) -> datetime | None:
    """An ISO 8601 instant with an offset from the query, or None."""
    return parameters.instant(request.query_params.get(name), name)


def if_match(request: Request) -> int | None:
    """``If-Match: "3"`` (the ETag of a read) -> expected version 3."""
    return parameters.etag(request.headers.get("if-match"))


def idempotent_request(
    request: Request, actor: Actor, body: dict[str, Any]
) -> IdempotentRequest | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= 255 or not key.isprintable():
        reason = "must be 1 to 255 printable characters"
        raise invalid([{"field": "Idempotency-Key", "reason": reason}])
    fingerprint = hashlib.sha256(
        b"\n".join(
            [
                request.method.encode(),
                request.url.path.encode(),
                (request.headers.get("if-match") or "").encode(),
                orjson.dumps(body, option=orjson.OPT_SORT_KEYS),
            ]
        )
    ).hexdigest()
    return IdempotentRequest(principal=actor.id, key=key, fingerprint=fingerprint)


def path_record_id(request: Request, param: str, record: str) -> UUID:
    """A record's id in the path (a visit, a meeting, a task force); one
    that is not a UUID is a record that does not exist (404)."""
    from appeals.domain.organisation import RecordNotFound

    raw = str(request.path_params[param])
    try:
        return UUID(raw)
    except ValueError:
        raise RecordNotFound(record, raw) from None
