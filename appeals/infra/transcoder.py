"""The stored events' JSON, written and read with orjson.

:class:`OrjsonTranscoder` writes what eventsourcing's ``JSONTranscoder``
writes — compact JSON, UTF-8 (not ASCII-escaped), each registered type as
``{"_type_": name, "_data_": encoded}`` — and reads it back to the same
values, so events written by either are read by either: old stores read
unchanged and a store can go back to the library's. The bytes are the same
too, but for a float's notation (orjson writes ``1e-7`` where ``json`` writes
``1e-07``; the same number), which ``tests/infra/test_transcoder.py`` shows on
every event a ledger stores and on generated values. Writing an integer
beyond 64 bits and reading NaN or an infinity that ``json`` wrote fall back
to ``json`` itself. Two differences remain, neither met by any event here:
NaN and infinities are refused when writing (``json`` writes them as text no
other reader accepts), and an integer beyond 64 bits is read back as a float.

orjson serialises in C; what remains in Python is one walk over each event
to put the registered types (UUIDs, datetimes, decimals) in and out of their
``_type_`` form, and that walk, not the JSON, is most of the time left.
``python -m bench.transcoding URL`` measures both on a store's events (the
demo's first 40,000, three runs: decoding 1.3–1.7×, encoding 1.0–1.2× the
library's rate); ``python -m bench run`` reports the decode through the
mapper (``decode-ours``). Like the library's, it refuses a type it has no
transcoding for.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import orjson
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    InfrastructureFactory,
    JSONTranscoder,
    Transcoder,
    Transcoding,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)

PLAIN = frozenset({str, int, bool, type(None)})
"""Values written as they are: no call made for them (most of an event)."""
_FALLBACK_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
OPTIONS = orjson.OPT_NON_STR_KEYS  # int keys become "1", as json writes them


class OrjsonTranscoder(Transcoder):
    """A drop-in for ``JSONTranscoder`` (same registrations, same bytes)."""

    def __init__(self) -> None:
        self.types: dict[type, Transcoding] = {}
        self.names: dict[str, Transcoding] = {}
        self._decoders: dict[str, Callable[[Any], Any]] = {}

    def register(self, transcoding: Transcoding) -> None:
        self.types[transcoding.type] = transcoding
        self.names[transcoding.name] = transcoding
        self._decoders[transcoding.name] = transcoding.decode

    def encode(self, obj: Any) -> bytes:
        prepared = self._out(obj)
        try:
            return orjson.dumps(prepared, option=OPTIONS)
        except orjson.JSONEncodeError:  # an integer beyond 64 bits, say
            return _FALLBACK_ENCODER.encode(prepared).encode("utf8")

    def decode(self, data: bytes) -> Any:
        try:
            return self._in(orjson.loads(data))
        except orjson.JSONDecodeError:  # NaN or Infinity, as json wrote them
            return self._in(json.loads(data.decode("utf8")))

    # ---- the walks ----------------------------------------------------------------

    def _out(self, o: Any) -> Any:
        kind = type(o)
        if kind in PLAIN:
            return o
        if kind is dict:
            out = self._out
            return {
                (k if type(k) is str else _key(k)): (v if type(v) in PLAIN else out(v))
                for k, v in o.items()
            }
        if kind is list or kind is tuple:
            out = self._out
            return [v if type(v) in PLAIN else out(v) for v in o]
        transcoding = self.types.get(kind)
        if transcoding is not None:
            return {
                "_type_": transcoding.name,
                "_data_": self._out(transcoding.encode(o)),
            }
        if kind is float:
            return _finite(o)
        # What json writes natively besides: subclasses of its types.
        if isinstance(o, str | int):
            return o
        if isinstance(o, float):
            return float(_finite(o))
        if isinstance(o, dict):
            return {_key(k): self._out(v) for k, v in o.items()}
        if isinstance(o, list | tuple):
            return [self._out(v) for v in o]
        msg = (
            f"Object of type {kind} is not serializable. Please define and "
            "register a custom transcoding for this type."
        )
        raise TranscodingNotRegisteredError(msg)

    def _in(self, o: Any) -> Any:
        if type(o) is dict:
            if len(o) == 2 and "_type_" in o and "_data_" in o:
                name = o["_type_"]
                decoder = self._decoders.get(name)
                if decoder is None:
                    msg = (
                        f"Data serialized with name '{name}' is not deserializable. "
                        "Please register a custom transcoding for this type."
                    )
                    raise TranscodingNotRegisteredError(msg)
                return decoder(self._in(o["_data_"]))
            for key, value in o.items():
                if type(value) is dict or type(value) is list:
                    o[key] = self._in(value)
            return o
        if type(o) is list:
            return [self._in(v) if type(v) is dict or type(v) is list else v for v in o]
        return o


def _key(key: Any) -> Any:
    """A dict key as json writes it, refusing what json refuses (a UUID, a
    datetime...), where orjson would quietly write its text."""
    if isinstance(key, str | int | float | bool) or key is None:
        return key
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key)}")


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{value} is not JSON: events hold finite numbers only")
    return value


def chosen_transcoder(
    name: str | None, factory: InfrastructureFactory[Any]
) -> Transcoder:
    """The transcoder the ledger and the event source use (``APPEALS_TRANSCODER``:
    ``orjson`` by default, or the library's), with the transcodings
    eventsourcing's Application registers, and so what every stored event was
    written with."""
    transcoder: OrjsonTranscoder | JSONTranscoder = (
        JSONTranscoder() if name == "library" else OrjsonTranscoder()
    )
    if name == "library":
        found = factory.transcoder()
        if not isinstance(found, JSONTranscoder):
            return found  # a persistence module with a transcoder of its own
        transcoder = found
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder
