"""Who may do what: the one permissions table (the matrix in the README).

Every command, every read (one appeal, its history, the list, each report,
the ledger, the feed) is a row here, and so is the scope a role gets: a
handler acts on and reads only appeals assigned to its own unit, an
enterprise only its own (by credit code) (docs/domain.md); the administrator may
do everything; the auditor reads and changes nothing. Nothing else in the
code decides who may see or do what: the domain, the application and HTTP
ask this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from appeals.domain.errors import NotPermitted
from appeals.domain.values import Actor, Role

INTAKE, DISPATCH, HANDLER, SUPERVISOR, AUDITOR, ENTERPRISE, ADMIN, SYSTEM = (
    Role.INTAKE,
    Role.DISPATCHER,
    Role.HANDLER,
    Role.SUPERVISOR,
    Role.AUDITOR,
    Role.ENTERPRISE,
    Role.ADMIN,
    Role.SYSTEM,
)

COMMAND_ROLES: dict[str, frozenset[Role]] = {
    # intake for anyone; an enterprise files its own (its credit code, the
    # portal channel), and the centre dispatches it as usual
    "receive": frozenset({INTAKE, ENTERPRISE}),
    "assign": frozenset({DISPATCH, SUPERVISOR}),
    "accept": frozenset({HANDLER}),
    # 协办: each co-handling unit accepts and reports its own part; a
    # supervisor may waive one (the lead cannot resolve until all are in)
    "accept_part": frozenset({HANDLER}),
    "report_part": frozenset({HANDLER}),
    "waive_part": frozenset({SUPERVISOR}),
    # 领导领办: recorded by the supervisors' office for the leader
    "take_over": frozenset({SUPERVISOR}),
    "return": frozenset({HANDLER}),
    "note_progress": frozenset({HANDLER, SUPERVISOR}),
    "pause": frozenset({HANDLER}),
    "resume": frozenset({HANDLER}),
    "request_extension": frozenset({HANDLER}),
    "decide_extension": frozenset({DISPATCH, SUPERVISOR}),
    # 剔除: the unit handling it or the centre asks, a supervisor decides
    "request_exclusion": frozenset({HANDLER, DISPATCH}),
    "decide_exclusion": frozenset({SUPERVISOR}),
    "supervise": frozenset({SUPERVISOR, SYSTEM}),
    "resolve": frozenset({HANDLER}),
    "reply": frozenset({HANDLER, INTAKE}),
    "evaluate": frozenset({ENTERPRISE, INTAKE}),
    "reopen": frozenset({SUPERVISOR, SYSTEM}),
    "close": frozenset({INTAKE, DISPATCH, SUPERVISOR, SYSTEM}),
    # the organisation's registries (appeals.domain.organisation): units and
    # cadres are kept by the administrator alone; intake and dispatchers
    # register enterprises and keep their details, but only the administrator
    # changes a registered name
    "register_unit": frozenset(),
    "rename_unit": frozenset(),
    "update_unit": frozenset(),
    "retire_unit": frozenset(),
    "reinstate_unit": frozenset(),
    "register_cadre": frozenset(),
    "rename_cadre": frozenset(),
    "move_cadre": frozenset(),
    "change_cadre_roles": frozenset(),
    "retire_cadre": frozenset(),
    "reinstate_cadre": frozenset(),
    "register_enterprise": frozenset({INTAKE, DISPATCH}),
    "update_enterprise": frozenset({INTAKE, DISPATCH}),
    "rename_enterprise": frozenset(),
    "withdraw": frozenset({ENTERPRISE, INTAKE}),
    "merge": frozenset({DISPATCH, SUPERVISOR}),
    # the routing catalogue (派单目录), kept by the centre's dispatchers
    "publish_catalogue_item": frozenset({DISPATCH}),
    "revise_catalogue_item": frozenset({DISPATCH}),
    "retire_catalogue_item": frozenset({DISPATCH}),
    "reinstate_catalogue_item": frozenset({DISPATCH}),
    # 政企互动: the enterprise comments, supplies materials and urges (intake
    # may do it for an enterprise that phones); officials comment too
    "comment": frozenset({ENTERPRISE, INTAKE, DISPATCH, HANDLER, SUPERVISOR}),
    "supply_materials": frozenset({ENTERPRISE, INTAKE}),
    "urge": frozenset({ENTERPRISE, INTAKE}),
    # attachments: the enterprise's own, the handling unit's, the centre's
    "add_attachment": frozenset({ENTERPRISE, INTAKE, DISPATCH, HANDLER, SUPERVISOR}),
    # 回访 by the centre's intake staff; 抽查 drawn by supervisors
    "callback": frozenset({INTAKE}),
    "sample": frozenset({SUPERVISOR}),
    # 督办回复: the late unit's staff, the centre for its own stages, supervisors
    "answer_order": frozenset({HANDLER, DISPATCH, SUPERVISOR}),
    # 挂钩服务: links and projects kept by the centre and supervisors; a visit
    # recorded, and its problems filed, by the cadre's unit or the centre
    "manage_links": frozenset({DISPATCH, SUPERVISOR}),
    "record_visit": frozenset({HANDLER, DISPATCH, SUPERVISOR}),
    "file_from_visit": frozenset({HANDLER, INTAKE, DISPATCH, SUPERVISOR}),
    # 会办: meetings held and their tasks set by the centre and supervisors;
    # a task completed by its owner unit (or them)
    "hold_meeting": frozenset({DISPATCH, SUPERVISOR}),
    "complete_task": frozenset({HANDLER, DISPATCH, SUPERVISOR}),
    "escalate": frozenset({SYSTEM}),
    "warn": frozenset({SYSTEM}),
    "lapse_evaluation": frozenset({SYSTEM}),
    "answer_on_the_spot": frozenset({INTAKE}),
    # the monthly assessment (考核): published by supervisors, then frozen
    "publish_assessment": frozenset({SUPERVISOR}),
    # the monthly 通报 of appeals still late after the last rung: likewise
    "publish_notice": frozenset({SUPERVISOR}),
}
"""Command name -> roles allowed besides the administrator."""

REFERRED_CLOSE_ROLES = frozenset({SUPERVISOR, ADMIN})
"""Who may close an appeal that was referred to a supervisor."""


class Scope(Enum):
    """How much of the city a role sees through one read."""

    ALL = "all"
    """Every appeal, unit and enterprise."""
    OWN_UNIT = "own_unit"
    """Only what concerns the actor's unit (a handler)."""
    OWN_ENTERPRISE = "own_enterprise"
    """Only what concerns the actor's enterprise (by credit code)."""


_APPEAL_READ: dict[Role, Scope] = {
    INTAKE: Scope.ALL,
    DISPATCH: Scope.ALL,
    HANDLER: Scope.OWN_UNIT,
    SUPERVISOR: Scope.ALL,
    AUDITOR: Scope.ALL,
    ENTERPRISE: Scope.OWN_ENTERPRISE,
    ADMIN: Scope.ALL,
}
_GOVERNMENT_STATISTICS: dict[Role, Scope] = {
    INTAKE: Scope.ALL,
    DISPATCH: Scope.ALL,
    SUPERVISOR: Scope.ALL,
    AUDITOR: Scope.ALL,
    ADMIN: Scope.ALL,
}

READS: dict[str, dict[Role, Scope]] = {
    # one appeal: now, at a version or instant, its history and its chain check
    "appeal": _APPEAL_READ,
    # lists and per-appeal reports, filtered to the actor's scope
    "appeals": _APPEAL_READ,
    "overdue": _APPEAL_READ,
    "timeliness": _APPEAL_READ,
    # accountability: government only; a handler sees its own unit
    "accountability": {**_GOVERNMENT_STATISTICS, HANDLER: Scope.OWN_UNIT},
    # one enterprise's 问题台账: not a handler's (its scope is a unit)
    "ledger": {**_GOVERNMENT_STATISTICS, ENTERPRISE: Scope.OWN_ENTERPRISE},
    # the registries: units for everyone who signs in, cadres for government,
    # enterprises for the centre and those who audit (an enterprise its own)
    "units": {role: Scope.ALL for role in Role if role is not SYSTEM},
    "cadres": {**_GOVERNMENT_STATISTICS, HANDLER: Scope.ALL},
    "enterprises": {**_GOVERNMENT_STATISTICS, ENTERPRISE: Scope.OWN_ENTERPRISE},
    # city-wide statistics
    "category_month": _GOVERNMENT_STATISTICS,
    "hotspots": _GOVERNMENT_STATISTICS,
    # trends: a handler sees its own unit's row beside the city's
    "trends": {**_GOVERNMENT_STATISTICS, HANDLER: Scope.OWN_UNIT},
    # routing by the catalogue: a handler sees its own unit's rows
    "routing": {**_GOVERNMENT_STATISTICS, HANDLER: Scope.OWN_UNIT},
    # the global event feed: those who audit
    "feed": {SUPERVISOR: Scope.ALL, AUDITOR: Scope.ALL, ADMIN: Scope.ALL},
    # the monthly assessment (考核), published and live: government only; a
    # handler reads the whole ranking too (its own row means little alone)
    "assessment": {**_GOVERNMENT_STATISTICS, HANDLER: Scope.ALL},
    # supervision orders (督办单) and the monthly 通报: government; a handler
    # sees the orders on its own unit's stages
    "supervision": {**_GOVERNMENT_STATISTICS, HANDLER: Scope.OWN_UNIT},
    "notices": {**_GOVERNMENT_STATISTICS, HANDLER: Scope.ALL},
    # 挂钩服务: links, visits and visit coverage, read across the city (a
    # handler too: its cadres visit enterprises linked to other units' cadres)
    "links": {**_GOVERNMENT_STATISTICS, HANDLER: Scope.ALL},
    # joint meetings and their tasks (会办)
    "meetings": {**_GOVERNMENT_STATISTICS, HANDLER: Scope.ALL},
    # the callback queue (回访): the centre's, and those who supervise it
    "callbacks": {INTAKE: Scope.ALL, SUPERVISOR: Scope.ALL, ADMIN: Scope.ALL},
    # the routing catalogue (派单目录): everyone who signs in may consult it
    "catalogue": {role: Scope.ALL for role in Role if role is not SYSTEM},
}
"""Read name -> the roles that may read it and the scope each gets. A role
not listed may not read it at all (the scheduler reads nothing)."""


@dataclass(frozen=True)
class ReadFilter:
    """The rows an actor may see through one read: ``None`` is unrestricted."""

    unit: str | None = None
    uscc: str | None = None

    def admits(self, *, unit: str | None, uscc: str | None) -> bool:
        """True if an appeal assigned to ``unit`` and raised by ``uscc`` (or
        an enterprise's row, or a unit's row) is within this filter."""
        if self.unit is not None and self.unit != unit:
            return False
        return self.uscc is None or self.uscc == uscc

    def equals(self) -> list[tuple[str, str]]:
        """The filter as (column, value) equalities over ``unit`` and ``uscc``."""
        pairs = [("unit", self.unit), ("uscc", self.uscc)]
        return [(column, value) for column, value in pairs if value is not None]


def roles_for(command: str) -> frozenset[Role]:
    """All roles that may issue ``command``, the administrator included."""
    return COMMAND_ROLES[command] | {ADMIN}


def readers_of(read: str) -> frozenset[Role]:
    """All roles that may use the read named ``read``."""
    return frozenset(READS[read])


def read_filter(read: str, actor: Actor) -> ReadFilter:
    """The filter ``actor`` gets on ``read``; raises :class:`NotPermitted` if
    its role may not use that read at all."""
    scope = READS[read].get(actor.role)
    if scope is None:
        raise NotPermitted(f"read {read}", actor.role, "it is outside your role")
    if scope is Scope.OWN_UNIT:
        return ReadFilter(unit=actor.unit or "")
    if scope is Scope.OWN_ENTERPRISE:
        return ReadFilter(uscc=actor.uscc or "")
    return ReadFilter()


def authorize(
    command: str, actor: Actor, *, unit: str | None, uscc: str | None
) -> None:
    """Raises :class:`NotPermitted` unless ``actor`` may issue ``command`` on an
    appeal currently assigned to ``unit`` and raised by ``uscc``."""
    if actor.role not in roles_for(command):
        allowed = ", ".join(sorted(r.value for r in roles_for(command)))
        raise NotPermitted(command, actor.role, f"only {allowed} may")
    if actor.role is HANDLER and actor.unit != unit:
        # The refusal names nothing the actor may not see (not the unit).
        raise NotPermitted(command, actor.role, "the appeal is not your unit's")
    if actor.role is ENTERPRISE and actor.uscc != uscc:
        raise NotPermitted(command, actor.role, "the appeal is another enterprise's")


INTERNAL_TEXT_READERS = frozenset(Role) - {ENTERPRISE}
"""Who reads internal notes, reasons and attachments (appeals.domain.disclosure):
government, not the enterprise."""


def reads_internal_text(actor: Actor) -> bool:
    """Whether ``actor`` reads an appeal's internal text."""
    return actor.role in INTERNAL_TEXT_READERS


def may_close_referred(actor: Actor) -> bool:
    """Whether ``actor`` may close an appeal referred to a supervisor."""
    return actor.role in REFERRED_CLOSE_ROLES


def may_read(
    actor: Actor, *, unit: str | None, uscc: str | None, co_units: Iterable[str] = ()
) -> bool:
    """Whether ``actor`` may read one appeal assigned to ``unit`` (with
    ``co_units`` co-handling it) and raised by ``uscc`` (the ``appeal`` row
    of :data:`READS`): a co-handling unit reads the appeal it works on."""
    scope = READS["appeal"].get(actor.role)
    if scope is None:
        return False
    if (
        scope is Scope.OWN_UNIT
        and actor.unit is not None
        and actor.unit in set(co_units)
    ):
        return True
    return read_filter("appeal", actor).admits(unit=unit, uscc=uscc)


def check_read(
    actor: Actor, *, unit: str | None, uscc: str | None, co_units: Iterable[str] = ()
) -> None:
    """Raises :class:`NotPermitted` unless ``actor`` may read that appeal."""
    if not may_read(actor, unit=unit, uscc=uscc, co_units=co_units):
        raise NotPermitted("read", actor.role, "the appeal is outside your scope")
