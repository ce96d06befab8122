"""The realistic command mix: appeal lifecycles as HTTP requests.

Each lifecycle is what an appeal goes through on the straight path, with the
words of the demo corpus (appeals.demo.corpus): received by an intake
operator (受理, with the hotline or portal reference when the channel has
one), assigned by a dispatcher (交办), accepted (签收), 0-2 progress notes,
resolved (办结) and replied to (反馈) by the responsible unit's handler, and
evaluated (评价) as the hotline records it. That is 7 commands on average,
about one in seven of them a receipt.

A pool of lifecycles is drawn before the clock starts and used round and
round: each use sends the same words with a fresh source reference (so the
ledger's idempotent receipt never mistakes it for a retry), and only the
appeal id in the path is filled in while running.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import Any

import orjson

from appeals.demo import corpus
from appeals.demo.cast import Cast, Writer, build_cast
from appeals.domain.values import Channel, Satisfaction

CAST_SEED = 20261121
"""One cast for every run, so the tokens made for it fit every lifecycle."""


@dataclass(frozen=True)
class Step:
    """One command of a lifecycle after the receipt."""

    command: str
    role: str  # "intake", "dispatcher" or "handler:<unit>"
    body: bytes


@dataclass(frozen=True)
class Lifecycle:
    receipt: dict[str, Any]  # the body of POST /appeals
    steps: tuple[Step, ...]  # the commands after it

    def receipt_body(self, use: int) -> bytes:
        """The receipt's body for the ``use``-th use of this lifecycle."""
        reference = self.receipt["external_id"]
        if reference is None or use == 0:
            return orjson.dumps(self.receipt)
        return orjson.dumps({**self.receipt, "external_id": f"{reference}-{use}"})


def cast() -> Cast:
    """The demo cast (units, cadres, enterprises) every lifecycle draws from."""
    return build_cast(Random(CAST_SEED))


def token_specs(people: Cast) -> dict[str, dict[str, str]]:
    """The tokens a run needs: name -> keyword arguments of TokenStore.create."""
    specs = {
        "intake": {"role": "intake", "name": "bench 12345 intake"},
        "dispatcher": {"role": "dispatcher", "name": "bench dispatcher"},
        "admin": {"role": "admin", "name": "bench admin"},
        "auditor": {"role": "auditor", "name": "bench auditor"},
    }
    for unit in people.units.values():
        specs[f"handler:{unit.code}"] = {
            "role": "handler",
            "name": f"bench {unit.name}",
            "unit": unit.code,
        }
    return specs


def lifecycles(seed: int, count: int) -> list[Lifecycle]:
    """``count`` lifecycles drawn from the corpus with ``seed``."""
    rng = Random(seed)
    writer = Writer(rng, cast(), 2026)
    return [_lifecycle(rng, writer) for _ in range(count)]


def _lifecycle(rng: Random, writer: Writer) -> Lifecycle:
    draft = writer.draft()
    receive = draft.receive
    unit = draft.unit
    cadre = rng.choice(unit.cadres)[0]
    handler = f"handler:{unit.code}"
    channel = receive.channel
    reply_channel = channel if channel in corpus.REPLY_PREFIX else Channel.HOTLINE
    prefix = corpus.REPLY_PREFIX.get(channel, corpus.DEFAULT_REPLY_PREFIX)
    notes = rng.sample(corpus.PROGRESS_NOTES, rng.choice((0, 1, 1, 2)))
    received = {
        "uscc": receive.uscc,
        "enterprise_name": receive.enterprise_name,
        "channel": receive.channel.value,
        "category": receive.category.value,
        "priority": receive.priority.value,
        "title": receive.title,
        "description": receive.description,
        "contact": receive.contact,
        "external_id": receive.external_id,
    }
    steps = [
        Step(
            "assign",
            "dispatcher",
            orjson.dumps({"unit": unit.code, "cadre": cadre.id}),
        ),
        Step("accept", handler, b"{}"),
        *(Step("note-progress", handler, orjson.dumps({"note": n})) for n in notes),
        Step(
            "resolve",
            handler,
            orjson.dumps({"outcome": "resolved", "result": draft.result}),
        ),
        Step(
            "reply",
            handler,
            orjson.dumps(
                {"channel": reply_channel.value, "content": prefix + draft.result}
            ),
        ),
        Step(
            "evaluate",
            "intake",
            orjson.dumps(
                {
                    "resolved": True,
                    "satisfaction": Satisfaction.SATISFIED.value,
                    "comment": rng.choice(corpus.GOOD_COMMENTS),
                }
            ),
        ),
    ]
    return Lifecycle(received, tuple(steps))
