"""Who appears in the demo (appeals.demo): synthetic enterprises with valid credit
codes, the registered units with their registered handlers (appeals/demo/data:
``unit_names.csv`` maps the corpus's unit names to unit codes, ``cadres.csv``
lists each unit's cadres), intake, dispatch and supervision staff, and the
``Writer`` that drafts their appeals from the words of appeals.demo.corpus and
routes them by the catalogue (``catalogue.toml``)."""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from random import Random
from typing import TypeVar

from appeals.demo.corpus import (
    BANKS,
    BRAND_FIRST,
    BRAND_SECOND,
    CATEGORY_UNITS,
    CATEGORY_WEIGHTS,
    CHANNEL_WEIGHTS,
    CITIES,
    DEFAULT_PRIORITY_WEIGHTS,
    GIVEN,
    HONORIFICS,
    INDUSTRIES,
    KUNSHAN,
    KUNSHAN_LISTS,
    LEGAL_FORMS,
    PRIORITY_WEIGHTS,
    SURNAMES,
    TEMPLATES,
    UNITS,
)
from appeals.domain import commands as cmd
from appeals.domain.uscc import ALPHABET, check_character
from appeals.domain.values import Actor, Category, Channel, Priority, Role

T = TypeVar("T")


def pick(rng: Random, weights: Mapping[T, float]) -> T:
    """One key of ``weights``, drawn in proportion to its value."""
    return rng.choices(list(weights), list(weights.values()))[0]


# ---- synthetic identities -------------------------------------------------

ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code(rng: Random) -> str:
    """9 characters: 8 (``MA...`` for post-2015 registrations) and the GB 11714
    check character."""
    if rng.random() < 0.7:
        stem = "MA" + "".join(rng.choice(ALPHABET) for _ in range(6))
    else:
        stem = "".join(rng.choice("0123456789") for _ in range(8))
    total = sum(int(c, 36) * w for c, w in zip(stem, ORG_CODE_WEIGHTS, strict=True))
    check = (11 - total % 11) % 11
    return stem + ("X" if check == 10 else str(check))


def credit_code(rng: Random, area: str) -> str:
    """A valid USCC: enterprise ('91'), area code, organisation code, check."""
    first17 = "91" + area + organisation_code(rng)
    return first17 + check_character(first17)


def person(rng: Random, taken: set[str]) -> str:
    """A Chinese name not used before in this data set."""
    while True:
        given = "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))
        name = rng.choice(SURNAMES) + given
        if name not in taken:
            taken.add(name)
            return name


@dataclass(frozen=True)
class Enterprise:
    uscc: str
    name: str
    park: str
    product: str
    staff: int
    service_list: str | None
    contact: str

    @property
    def actor(self) -> Actor:
        return Actor(f"ent-{self.uscc}", Role.ENTERPRISE, self.name, uscc=self.uscc)


def generate_enterprises(rng: Random, count: int = 300) -> tuple[Enterprise, ...]:
    """``count`` enterprises with distinct names and credit codes."""
    names: set[str] = set()
    codes: set[str] = set()
    found: list[Enterprise] = []
    while len(found) < count:
        city, areas, _, parks = rng.choices(CITIES, [c[2] for c in CITIES])[0]
        word, product = rng.choice(INDUSTRIES)
        brand = rng.choice(BRAND_FIRST) + rng.choice(BRAND_SECOND)
        name = f"{city}{brand}{word}{rng.choice(LEGAL_FORMS)}"
        uscc = credit_code(rng, rng.choice(areas))
        if name in names or uscc in codes:
            continue
        names.add(name)
        codes.add(uscc)
        listed = None
        if city == KUNSHAN and rng.random() < 0.7:
            listed = rng.choice(KUNSHAN_LISTS)
        phone = (
            f"1{rng.choice('3589')}{rng.randrange(10)}****{rng.randrange(10_000):04d}"
        )
        contact = f"{rng.choice(SURNAMES)}{rng.choice(HONORIFICS)} {phone}"
        staff = rng.choice((30, 60, 120, 200, 350, 600, 1200, 3000))
        park = rng.choice(parks)
        found.append(Enterprise(uscc, name, park, product, staff, listed, contact))
    return tuple(found)


def slot_values(rng: Random, park: str, product: str) -> dict[str, object]:
    """Values for the template slots (amounts in 万元, areas in m², ...)."""
    return {
        "park": park,
        "product": product,
        "amount": rng.choice((200, 300, 500, 800, 1000, 1500, 2000, 3000)),
        "n": rng.choice((15, 20, 30, 50, 80, 120)),
        "n2": rng.randint(2, 6),
        "months": rng.randint(2, 6),
        "weeks": rng.randint(2, 6),
        "days": rng.randint(3, 10),
        "bank": rng.choice(BANKS),
        "mu": rng.choice((20, 30, 50, 80, 120)),
        "area": rng.choice((2000, 3000, 5000, 8000, 12000)),
        "kva": rng.choice((2000, 4000, 6300, 10000)),
    }


DATA = Path(__file__).parent / "data"
ROUTED_SHARE = 0.85
"""How often dispatch names the catalogue item when the unit has one for the
matter (the rest are dispatched by unit alone: catalogue coverage < 100%)."""


@dataclass(frozen=True)
class Item:
    """A catalogue item as the demo routes by it."""

    code: str
    matter_zh: str
    kind: str
    category: str
    lead_unit: str
    limits: Mapping[str, str]
    standard_answer: str
    co_units: tuple[str, ...] = ()


@cache
def catalogue_items() -> tuple[Item, ...]:
    """The items of the demo's catalogue (``catalogue.toml``)."""
    with (DATA / "catalogue.toml").open("rb") as file:
        items = tomllib.load(file)["item"]
    return tuple(
        Item(
            i["code"],
            i["matter_zh"],
            i["kind"],
            i["category"],
            i["lead_unit"],
            i.get("limits", {}),
            i.get("standard_answer", ""),
            tuple(i.get("co_units", ())),
        )
        for i in items
    )


@cache
def registered_handlers() -> dict[str, tuple[tuple[str, str], ...]]:
    """Each corpus unit name's code and its registered cadres (code, name)
    who handle appeals, from ``unit_names.csv`` and ``cadres.csv``."""
    with (DATA / "unit_names.csv").open(encoding="utf-8", newline="") as file:
        codes = {row["name"]: row["code"] for row in csv.DictReader(file)}
    cadres: dict[str, list[tuple[str, str]]] = {}
    with (DATA / "cadres.csv").open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            if "handler" in row["roles"].split(";"):
                cadres.setdefault(row["unit"], []).append((row["code"], row["name"]))
    return {name: ((code, ""), *cadres.get(code, ())) for name, code in codes.items()}


@dataclass(frozen=True)
class Unit:
    name: str  # as people say it (市人社局)
    code: str  # its registered code (SZ-HRSS)
    pace: float  # > 1: systematically slower
    cadres: tuple[tuple[Actor, float], ...]  # registered cadres (id = code), paced


@dataclass(frozen=True)
class Cast:
    """Everyone who appears in the demo data."""

    enterprises: tuple[Enterprise, ...]
    activity: tuple[float, ...]  # how often each enterprise raises appeals
    units: dict[str, Unit]
    hotline_ops: tuple[Actor, ...]  # 12345 hotline operators (intake)
    desk_ops: tuple[Actor, ...]  # service-centre intake for other channels
    dispatchers: tuple[Actor, ...]
    supervisors: tuple[Actor, ...]

    @property
    def cadres(self) -> int:
        return sum(len(unit.cadres) for unit in self.units.values())


def build_cast(rng: Random, enterprises: int = 300) -> Cast:
    """The corpus's units with their registered handlers, intake, dispatch
    and supervision staff, and ``enterprises`` enterprises; all names distinct."""
    taken: set[str] = set()

    def staff(prefix: str, role: Role, count: int) -> tuple[Actor, ...]:
        return tuple(
            Actor(f"{prefix}-{k:02d}", role, person(rng, taken))
            for k in range(1, count + 1)
        )

    handlers = registered_handlers()

    def unit(name: str, pace: float) -> Unit:
        (code, _), *cadres = handlers[name]
        taken.update(person_name for _, person_name in cadres)
        return Unit(
            name,
            code,
            pace,
            tuple(
                (
                    Actor(cadre, Role.HANDLER, person_name, unit=code),
                    rng.uniform(0.75, 1.35),
                )
                for cadre, person_name in cadres
            ),
        )

    units = {name: unit(name, pace) for name, _, pace in UNITS}
    found = generate_enterprises(rng, enterprises)
    return Cast(
        enterprises=found,
        activity=tuple(rng.paretovariate(1.6) for _ in found),
        units=units,
        hotline_ops=staff("op-12345", Role.INTAKE, 6),
        desk_ops=staff("op-zwfw", Role.INTAKE, 3),
        dispatchers=staff("disp", Role.DISPATCHER, 3),
        supervisors=staff("sup", Role.SUPERVISOR, 3),
    )


@dataclass(frozen=True)
class Draft:
    """What an appeal is about, what handling achieves, and who handles it."""

    enterprise: Enterprise
    receive: cmd.Receive
    result: str
    unit: Unit
    item: Item | None = None  # the catalogue item dispatch routes it by


class Writer:
    """Writes appeals: who raises what, in which words, through which channel,
    for which unit; numbers the hotline and portal references."""

    def __init__(self, rng: Random, cast: Cast, year: int) -> None:
        self.rng, self.cast, self.year = rng, cast, year
        self.numbers = {
            Channel.HOTLINE: rng.randint(10**4, 9 * 10**4),
            Channel.PORTAL: 0,
        }

    def draft(self) -> Draft:
        rng = self.rng
        enterprise = rng.choices(self.cast.enterprises, self.cast.activity)[0]
        category, channel = (
            pick(rng, CATEGORY_WEIGHTS),
            pick(rng, CHANNEL_WEIGHTS),
        )
        weights = PRIORITY_WEIGHTS.get(category, DEFAULT_PRIORITY_WEIGHTS)
        title, problem, ask, result = rng.choice(TEMPLATES[category])
        slots = slot_values(rng, enterprise.park, enterprise.product)
        profile = f"{enterprise.product}，员工约{enterprise.staff}人"
        if enterprise.service_list:
            profile = f"昆山市{enterprise.service_list}，{profile}"
        said = f"{problem}。{ask}。".format(**slots)
        receive = cmd.Receive(
            uscc=enterprise.uscc,
            enterprise_name=enterprise.name,
            channel=channel,
            category=category,
            title=title.format(**slots),
            priority=rng.choices(list(Priority), weights)[0],
            description=f"{enterprise.name}（{profile}）反映：{said}",
            contact=enterprise.contact,
            external_id=self._external_id(channel),
        )
        unit = self.cast.units[pick(rng, dict(CATEGORY_UNITS[category]))]
        items = [
            i
            for i in catalogue_items()
            if i.category == category.value and i.lead_unit == unit.code
        ]
        item = rng.choice(items) if items and rng.random() < ROUTED_SHARE else None
        return Draft(enterprise, receive, result.format(**slots), unit, item)

    def consultation(self) -> Draft:
        """A question the catalogue answers in advance (当场办): the draft of
        an appeal intake answers on the spot with the item's standard answer."""
        rng = self.rng
        draft = self.draft()
        item = rng.choice([i for i in catalogue_items() if i.standard_answer])
        receive = replace(
            draft.receive,
            category=Category.of(item.category),
            priority=Priority.NORMAL,
            title=f"咨询：{item.matter_zh}"[:200],
            description=f"{draft.enterprise.name}来电咨询{item.matter_zh}的办理条件和流程。",
        )
        return replace(draft, receive=receive, item=item)

    def _external_id(self, channel: Channel) -> str | None:
        """Source references: 12345 hotline tickets and portal numbers."""
        if channel not in self.numbers or self.rng.random() < 0.3:
            return None
        self.numbers[channel] += self.rng.randint(1, 90)
        prefix = "12345" if channel is Channel.HOTLINE else "SFB"
        return f"{prefix}-{self.year}-{self.numbers[channel]:07d}"
