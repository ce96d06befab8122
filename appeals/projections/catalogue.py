"""The routing catalogue view (派单目录): the current items, every version's
content, and a search index of Chinese (and English) terms, so intake finds
the item for what an enterprise says.

Tables: ``catalogue_items`` (one row per item, its current version),
``catalogue_versions`` (one row per version, what an appeal routed by it was
told), ``catalogue_units`` (the lead and co-handling units of each item's
current version, for "items this unit handles") and ``catalogue_terms`` (term,
code, weight) for the items in force (a retired item leaves the index, a
reinstated one comes back).

Terms come from :func:`segment`, jieba's search-engine mode (``cut_for_search``:
words and the shorter words inside long ones) with a user dictionary of the
domain's words (``catalogue_words.txt``: 用电报装, 留抵退税, 稳岗返还...),
lower-cased, without punctuation and a few function words. The same function
segments the items when indexing and the query when searching. A term's
weight in an item is the sum of the weights of the fields it occurs in
(:data:`FIELD_WEIGHTS`: the code and the matter count most, the procedure
least). Changing the dictionary changes the segmentation: rebuild the view
(``appeals projections rebuild catalogue``).

Search ranks items by

    score(item) = Σ over the query's terms t found in the item of
                  weight(t, item) × ln(1 + N / df(t))

where N is the number of items in force and df(t) how many of them hold t:
rare terms (留抵退税) count for more than common ones (企业, 办理). Ties are
broken by code. Each hit lists the terms it matched, best first.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appeals.domain.catalogue import CODE, CatalogueItem
from appeals.infra.database import Database, Sql
from appeals.projections.lifecycle import stored_instant
from appeals.projections.reading import live_table, read
from appeals.projections.runtime.model import (
    Change,
    Projection,
    Put,
    Remove,
    Row,
    State,
    Table,
    require,
)

# ---- segmentation -------------------------------------------------------------

WORDS = Path(__file__).with_name("catalogue_words.txt")
"""The user dictionary: domain words jieba would otherwise split."""

_STOPWORDS = """
的 了 和 与 及 或 在 是 有 想 要 我 我们 你 您 请 怎么 怎样 如何 什么 吗 呢
啊 吧 对 为 把 被 等 个 之 其 该 这 那 哪 能 可以
a an the of and or for to in on by with is are be
"""
STOPWORDS = frozenset(_STOPWORDS.split())
"""Words too common to tell items apart."""

FIELD_WEIGHTS: Mapping[str, int] = {
    "code": 4,
    "matter_zh": 4,
    "keywords": 3,
    "matter_en": 2,
    "procedure": 1,
}
"""How much a term counts in an item, by the field it occurs in."""

_lock = threading.Lock()
_tokenizer: Any = None


def tokenizer() -> Any:
    """jieba's tokenizer with the domain words, made once (thread-safe); jieba
    is imported here, on first use, as it takes a while."""
    global _tokenizer
    found = _tokenizer  # read once: a release may clear it meanwhile
    if found is None:
        with _lock:
            found = _tokenizer
            if found is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                found = jieba.Tokenizer()
                with WORDS.open("rb") as words:  # also loads the main dictionary
                    found.load_userdict(words)
                _tokenizer = found
    return found


def release_tokenizer() -> None:
    """Drops the tokenizer (a rebuild, once the view has caught up): the next
    use makes it again. A caller holding it keeps using its own."""
    global _tokenizer
    with _lock:
        _tokenizer = None


def segment(text: str) -> list[str]:
    """The search terms of ``text``, in order, each once: jieba's
    search-engine segmentation, lower-cased, without punctuation, spaces and
    stopwords; a text that is itself a code (``FIN-001``) is a term too."""
    terms: dict[str, None] = {}
    whole = text.strip().lower()
    if CODE.fullmatch(whole):
        terms[whole] = None
    for token in tokenizer().cut_for_search(text):
        term = token.strip().lower()
        if term and term not in STOPWORDS and any(c.isalnum() for c in term):
            terms[term] = None
    return list(terms)


def item_terms(code: str, content: Mapping[str, Any]) -> dict[str, int]:
    """Each term of an item (its code, matter, keywords and procedure) with
    its weight: the sum of the weights of the fields it occurs in; in term
    order, so the stored row is the same in every process (a set's order
    depends on the process's string hashing)."""
    texts = {
        "code": [code],
        "matter_zh": [content["matter_zh"]],
        "keywords": list(content["keywords"]),
        "matter_en": [content["matter_en"]],
        "procedure": [content["procedure"]],
    }
    weights: dict[str, int] = {}
    for name, values in texts.items():
        found = {term for value in values for term in segment(value)}
        for term in found:
            weights[term] = weights.get(term, 0) + FIELD_WEIGHTS[name]
    return dict(sorted(weights.items()))


# ---- tables -------------------------------------------------------------------

CONTENT_COLUMNS = (
    "matter_zh",
    "matter_en",
    "kind",
    "category",
    "lead_unit",
    "co_units",
    "procedure",
    "legal_basis",
    "limits",
    "standard_answer",
    "keywords",
)
JSON_COLUMNS = frozenset({"co_units", "limits", "keywords"})
"""Columns holding a list or a mapping, stored as JSON text."""

CREATE_ITEMS = """
CREATE TABLE IF NOT EXISTS {table} (
    code TEXT NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL,
    matter_zh TEXT NOT NULL,
    matter_en TEXT NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    lead_unit TEXT NOT NULL,
    co_units TEXT NOT NULL,
    procedure TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    limits TEXT NOT NULL,
    standard_answer TEXT,
    keywords TEXT NOT NULL,
    retired INTEGER NOT NULL,
    retired_reason TEXT,
    published_at TEXT NOT NULL,
    revised_at TEXT NOT NULL,
    terms TEXT NOT NULL
)
"""
ITEMS = Table(
    name="catalogue_items",
    columns=(
        "code",
        "version",
        *CONTENT_COLUMNS,
        "retired",
        "retired_reason",
        "published_at",
        "revised_at",
        "terms",
    ),
    key=("code",),
    create=CREATE_ITEMS,
)

CREATE_VERSIONS = """
CREATE TABLE IF NOT EXISTS {table} (
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    matter_zh TEXT NOT NULL,
    matter_en TEXT NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    lead_unit TEXT NOT NULL,
    co_units TEXT NOT NULL,
    procedure TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    limits TEXT NOT NULL,
    standard_answer TEXT,
    keywords TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (code, version)
)
"""
VERSIONS = Table(
    name="catalogue_versions",
    columns=("code", "version", *CONTENT_COLUMNS, "recorded_at", "recorded_by"),
    key=("code", "version"),
    create=CREATE_VERSIONS,
    written_only=True,
)

CREATE_UNITS = """
CREATE TABLE IF NOT EXISTS {table} (
    unit TEXT NOT NULL,
    code TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (unit, code)
)
"""
UNITS = Table(
    name="catalogue_units",
    columns=("unit", "code", "role"),
    key=("unit", "code"),
    create=CREATE_UNITS,
    written_only=True,  # removed by the keys of the item's old row
)

CREATE_TERMS = """
CREATE TABLE IF NOT EXISTS {table} (
    term TEXT NOT NULL,
    code TEXT NOT NULL,
    weight INTEGER NOT NULL,
    PRIMARY KEY (term, code)
)
"""
TERMS = Table(
    name="catalogue_terms",
    columns=("term", "code", "weight"),
    key=("term", "code"),
    create=CREATE_TERMS,
    written_only=True,  # removed by the terms of the item's old row
)


# ---- the fold -------------------------------------------------------------------


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def content_columns(event: Any) -> dict[str, Any]:
    """A Published or Revised event's content as columns."""
    return {
        name: _json(getattr(event, name))
        if name in JSON_COLUMNS
        else getattr(event, name)
        for name in CONTENT_COLUMNS
    }


def _unit_rows(code: str, lead: str, co_units: Iterable[str]) -> list[Row]:
    rows: list[Row] = [{"unit": lead, "code": code, "role": "lead"}]
    rows += [{"unit": unit, "code": code, "role": "co"} for unit in co_units]
    return rows


def _term_puts(code: str, terms: Mapping[str, int]) -> list[Change]:
    return [
        Put(TERMS, {"term": term, "code": code, "weight": weight})
        for term, weight in sorted(terms.items())
    ]


def _term_removals(code: str, terms: Iterable[str]) -> list[Change]:
    return [Remove(TERMS, (term, code)) for term in sorted(terms)]


def apply(event: CatalogueItem.Event, state: State) -> list[Change]:
    """The rows after one of an item's events."""
    code: str = getattr(event, "code")  # noqa: B009 (every catalogue event has it)
    at = stored_instant(event.timestamp)
    if isinstance(event, CatalogueItem.Published | CatalogueItem.Revised):
        content = content_columns(event)
        terms = item_terms(code, event.__dict__)
        version = {
            "code": code,
            "version": event.version,
            **content,
            "recorded_at": at,
            "recorded_by": str(event.actor.get("id") or ""),
        }
        changes: list[Change] = [Put(VERSIONS, version)]
        units = _unit_rows(code, event.lead_unit, event.co_units)
        if isinstance(event, CatalogueItem.Published):
            published_at, retired, reason = at, 0, None
        else:
            old = require(state, ITEMS, (code,))
            published_at, retired, reason = (
                old["published_at"],
                old["retired"],
                old["retired_reason"],
            )
            old_units = _unit_rows(code, old["lead_unit"], json.loads(old["co_units"]))
            kept = {row["unit"] for row in units}
            changes += [
                Remove(UNITS, (row["unit"], code))
                for row in old_units
                if row["unit"] not in kept
            ]
            changes += _term_removals(code, set(json.loads(old["terms"])) - set(terms))
        changes += [Put(UNITS, row) for row in units]
        if not retired:
            changes += _term_puts(code, terms)
        row = {
            "code": code,
            "version": event.version,
            **content,
            "retired": retired,
            "retired_reason": reason,
            "published_at": published_at,
            "revised_at": at,
            "terms": _json(terms),
        }
        return [*changes, Put(ITEMS, row)]
    old = require(state, ITEMS, (code,))
    terms = json.loads(old["terms"])
    if isinstance(event, CatalogueItem.Retired):
        withdrawn = {**old, "retired": 1, "retired_reason": event.reason}
        return [*_term_removals(code, terms), Put(ITEMS, withdrawn)]
    if isinstance(event, CatalogueItem.Reinstated):
        reinstated = {**old, "retired": 0, "retired_reason": None}
        return [*_term_puts(code, terms), Put(ITEMS, reinstated)]
    return []


PROJECTION = Projection(
    name="catalogue",
    tables=(ITEMS, VERSIONS, UNITS, TERMS),
    topics=frozenset(
        cls.TOPIC
        for cls in (
            CatalogueItem.Published,
            CatalogueItem.Revised,
            CatalogueItem.Retired,
            CatalogueItem.Reinstated,
        )
    ),
    apply=apply,
    description="the routing catalogue (派单目录): items, versions, search terms",
    warm=tokenizer,
    release=release_tokenizer,
)

# ---- reading ---------------------------------------------------------------------

ITEM_COLUMNS = (
    "code",
    "version",
    *CONTENT_COLUMNS,
    "retired",
    "retired_reason",
    "published_at",
    "revised_at",
)
"""What a reader returns of an item (not its terms)."""


@dataclass(frozen=True)
class CatalogueQuery:
    """Filters (all must hold) and a page of the catalogue, in code order.

    ``unit`` matches the lead or a co-handling unit; ``after`` is the last
    code of the previous page.
    """

    category: str | None = None
    kind: str | None = None
    unit: str | None = None
    include_retired: bool = False
    after: str | None = None
    limit: int = 50


def _decoded(columns: Iterable[str], row: Iterable[Any]) -> dict[str, Any]:
    found = dict(zip(columns, row, strict=True))
    for name in JSON_COLUMNS:
        found[name] = json.loads(found[name])
    if "retired" in found:
        found["retired"] = bool(found["retired"])
    return found


def _conditions(
    sql: Sql, query: CatalogueQuery, *, include_after: bool = True
) -> tuple[list[str], list[Any]]:
    conditions: list[str] = []
    params: list[Any] = []
    if not query.include_retired:
        conditions.append("retired = 0")
    for column, value in (("category", query.category), ("kind", query.kind)):
        if value is not None:
            conditions.append(f"{column} = ?")
            params.append(value)
    if query.unit is not None:
        units = live_table(sql.database, UNITS)
        conditions.append(f"code IN (SELECT code FROM {units} WHERE unit = ?)")
        params.append(query.unit)
    if include_after and query.after is not None:
        conditions.append("code > ?")
        params.append(query.after)
    return conditions, params


def select_items(sql: Sql, query: CatalogueQuery) -> list[dict[str, Any]]:
    """One page of items in code order (``limit`` rows at most)."""
    conditions, params = _conditions(sql, query)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    statement = (
        f"SELECT {', '.join(ITEM_COLUMNS)} FROM {live_table(sql.database, ITEMS)}"
        f"{where} ORDER BY code LIMIT ?"
    )
    rows = sql.execute(statement, [*params, query.limit]).all()
    return [_decoded(ITEM_COLUMNS, row) for row in rows]


def read_items(
    database: Database, query: CatalogueQuery
) -> tuple[int, list[dict[str, Any]]]:
    """The view's position and a page of items, with one row more than
    ``query.limit`` when a next page exists."""
    wanted = CatalogueQuery(**{**query.__dict__, "limit": query.limit + 1})
    return read(database, PROJECTION.name, lambda sql: select_items(sql, wanted))


VERSION_COLUMNS = VERSIONS.columns


def select_item(sql: Sql, code: str, version: int | None) -> dict[str, Any] | None:
    """The item now (with ``versions``, the number of its latest version), or
    what its version ``version`` said; None if there is no such item."""
    current = sql.execute(
        f"SELECT {', '.join(ITEM_COLUMNS)} FROM {live_table(sql.database, ITEMS)} "
        "WHERE code = ?",
        [code],
    ).one()
    if current is None:
        return None
    item = _decoded(ITEM_COLUMNS, current)
    item["versions"] = item["version"]
    if version is None or version == item["version"]:
        return item
    found = sql.execute(
        f"SELECT {', '.join(VERSION_COLUMNS)} "
        f"FROM {live_table(sql.database, VERSIONS)} WHERE code = ? AND version = ?",
        [code, version],
    ).one()
    if found is None:
        return None
    old = _decoded(VERSION_COLUMNS, found)
    return {
        **item,
        **{name: old[name] for name in ("version", *CONTENT_COLUMNS)},
        "revised_at": old["recorded_at"],
    }


def read_item(
    database: Database, code: str, version: int | None = None
) -> tuple[int, dict[str, Any] | None]:
    """The view's position and the item (now, or at ``version``), or None."""
    return read(database, PROJECTION.name, lambda sql: select_item(sql, code, version))


@dataclass(frozen=True)
class Hit:
    """A search result: the item, its score and the query terms it matched
    (best contribution first)."""

    item: dict[str, Any]
    score: float
    matched: tuple[str, ...]


SEARCH_CHUNK = 500
"""Codes per ``IN (...)`` when fetching the matched items."""


def search_items(
    sql: Sql, text: str, limit: int, query: CatalogueQuery | None = None
) -> list[Hit]:
    """The items in force that share terms with ``text``, best first (the
    score of the module's docstring; ties by code), at most ``limit``;
    ``query``'s category, kind and unit filters apply."""
    terms = segment(text)
    if not terms:
        return []
    table = live_table(sql.database, TERMS)
    marks = ", ".join("?" for _ in terms)
    found = sql.execute(
        f"SELECT term, code, weight FROM {table} WHERE term IN ({marks})", terms
    ).all()
    if not found:
        return []
    items_table = live_table(sql.database, ITEMS)
    in_force = sql.execute(
        f"SELECT COUNT(*) FROM {items_table} WHERE retired = 0"
    ).one()
    total = int(in_force[0]) if in_force else 0
    frequency: dict[str, int] = {}
    for term, _code, _weight in found:
        frequency[term] = frequency.get(term, 0) + 1
    contributions: dict[str, dict[str, float]] = {}
    for term, code, weight in found:
        idf = math.log(1 + max(total, frequency[term]) / frequency[term])
        contributions.setdefault(code, {})[term] = weight * idf
    filters = query or CatalogueQuery()
    filters = CatalogueQuery(
        category=filters.category, kind=filters.kind, unit=filters.unit
    )
    conditions, params = _conditions(sql, filters, include_after=False)
    rows: dict[str, dict[str, Any]] = {}
    codes = sorted(contributions)
    for start in range(0, len(codes), SEARCH_CHUNK):
        chunk = codes[start : start + SEARCH_CHUNK]
        where = [*conditions, f"code IN ({', '.join('?' for _ in chunk)})"]
        statement = (
            f"SELECT {', '.join(ITEM_COLUMNS)} FROM {items_table} "
            f"WHERE {' AND '.join(where)}"
        )
        for row in sql.execute(statement, [*params, *chunk]).all():
            item = _decoded(ITEM_COLUMNS, row)
            rows[item["code"]] = item
    hits = [
        Hit(
            item=rows[code],
            score=round(sum(contributions[code].values()), 6),
            matched=tuple(
                sorted(contributions[code], key=lambda t: (-contributions[code][t], t))
            ),
        )
        for code in rows
    ]
    hits.sort(key=lambda hit: (-hit.score, hit.item["code"]))
    return hits[:limit]


def search(
    database: Database, text: str, limit: int = 20, query: CatalogueQuery | None = None
) -> tuple[int, list[Hit]]:
    """The view's position and the items ``text`` finds (:func:`search_items`)."""
    return read(
        database, PROJECTION.name, lambda sql: search_items(sql, text, limit, query)
    )
