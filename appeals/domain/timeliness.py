"""Timeliness of one appeal: a pure function of its events and an instant.

For every stage cycle (docs/domain.md, "Time limits") it says when the stage started,
the deadline recorded in the events, when it was met, the working time taken,
the working time spent paused, whether it was on time, and whether it is
overdue now and by how much. Deadlines are read from the events, never
recomputed, so what a unit was told stands; the calendar is used only to
measure working time.

Dispatch (接诉转办) is the 12345 centre's own stage, charged to the centre
(``CENTRE_UNIT``): from receipt, from each return (退单) and from a reopen of
an appeal answered on the spot, to the next assignment or answer on the spot
(当场办), which complete it; a withdrawal or merge ends it. Reconcile-and-close
(对账销号, stage ``close``) is the centre's too: from the evaluation or the
lapse of its window to the closing; a reopen ends it.

First response (首次响应) is the unit's first recorded contact or progress:
a progress note, a request for materials (pause), the resolution or the
reply, whichever comes first; an answer on the spot is one. For appeals
received with a dispatch deadline its clock starts at each assignment while
there has been no first response (``Assigned.first_response_due``), and a
return ends it (``ended_by="returned"``): the next unit's starts afresh, so
neither the centre's time nor a bounced appeal's is charged to a unit.
Appeals received before keep their receipt-based cycle, whatever happens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from appeals.domain.deadlines import Timekeeping
from appeals.domain.identities import CENTRE_UNIT

FIRST_RESPONSE_TOPICS = frozenset(
    {
        "Appeal.ProgressNoted",
        "Appeal.Paused",
        "Appeal.Resolved",
        "Appeal.Replied",
        "Appeal.AnsweredOnTheSpot",
    }
)
CLOSING_TOPICS = frozenset({"Appeal.Closed", "Appeal.Withdrawn", "Appeal.Merged"})
CENTRE_STAGES = frozenset({"dispatch", "close"})
"""The 12345 centre's own stages (接诉转办 and 对账销号), charged to it."""


@dataclass(frozen=True, slots=True)
class StageCycle:
    """One run of a stage against its deadline."""

    stage: str
    cycle: int
    unit: str | None
    started_at: datetime
    due: datetime
    completed_at: datetime | None = None
    ended_by: str | None = None
    ended_at: datetime | None = None
    paused: timedelta = timedelta(0)
    paused_since: datetime | None = None
    extensions: int = 0
    escalation_level: int = -1  # -1: none; 0: reminder; 1-3: supervision
    cadre: str | None = None
    provisional: bool = False  # the due date falls in an estimated year
    warned: bool = False  # 预警 recorded before this deadline
    # What a store made of this cycle (its encoded state), kept with it: a
    # cycle never changes (changes make a new one, which starts without
    # it), and folds are stored after every event, most of their cycles long
    # closed. The domain never reads it (``encoded``, ``keep_encoded``).
    _encoded: Any = field(default=None, init=False, compare=False, repr=False)

    @property
    def is_open(self) -> bool:
        return self.completed_at is None and self.ended_by is None

    @property
    def encoded(self) -> Any:
        """What :meth:`keep_encoded` was given, None until then."""
        return self._encoded

    def keep_encoded(self, encoded: Any) -> None:
        """Keeps a store's encoding of :meth:`to_state` with the cycle,
        lighter in memory than the state itself (read models carry folds
        between batches) and not made again each time its fold is stored."""
        object.__setattr__(self, "_encoded", encoded)

    def to_state(self) -> dict[str, Any]:
        """A JSON-friendly form (read models keep folds between events)."""
        return {
            "stage": self.stage,
            "cycle": self.cycle,
            "unit": self.unit,
            "cadre": self.cadre,
            "started_at": self.started_at.isoformat(),
            "due": self.due.isoformat(),
            "completed_at": _iso(self.completed_at),
            "ended_by": self.ended_by,
            "ended_at": _iso(self.ended_at),
            "paused": int(self.paused.total_seconds()),
            "paused_since": _iso(self.paused_since),
            "extensions": self.extensions,
            "escalation_level": self.escalation_level,
            "provisional": self.provisional,
            "warned": self.warned,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> StageCycle:
        return cls(
            stage=state["stage"],
            cycle=state["cycle"],
            unit=state["unit"],
            cadre=state["cadre"],
            started_at=datetime.fromisoformat(state["started_at"]),
            due=datetime.fromisoformat(state["due"]),
            completed_at=_instant(state["completed_at"]),
            ended_by=state["ended_by"],
            ended_at=_instant(state["ended_at"]),
            paused=timedelta(seconds=state["paused"]),
            paused_since=_instant(state["paused_since"]),
            extensions=state["extensions"],
            escalation_level=state["escalation_level"],
            provisional=state.get("provisional", False),
            warned=state.get("warned", False),
        )

    def measure(self, now: datetime, tk: Timekeeping) -> dict[str, Any]:
        """The figures of this cycle as of ``now``."""
        end = self.completed_at or self.ended_at or now
        paused = self.paused
        due = self.due
        if self.paused_since is not None and self.completed_at is None:
            waiting = tk.working_time(self.paused_since, now)
            paused += waiting
            due = tk.moved(due, waiting)  # the clock is stopped while waiting
        taken = max(tk.working_time(self.started_at, end) - paused, timedelta(0))
        open_now = self.completed_at is None and self.ended_by is None
        late_by = tk.working_time(due, end) if end > due else timedelta(0)
        return {
            "stage": self.stage,
            "cycle": self.cycle,
            "unit": self.unit,
            "started_at": self.started_at.isoformat(),
            "due": due.isoformat(),
            "completed_at": _iso(self.completed_at),
            "ended_by": self.ended_by,
            "ended_at": _iso(self.ended_at),
            "working_seconds": int(taken.total_seconds()),
            "paused_seconds": int(paused.total_seconds()),
            "extensions": self.extensions,
            "escalation_level": None
            if self.escalation_level < 0
            else self.escalation_level,
            "on_time": None if self.completed_at is None else self.completed_at <= due,
            "overdue_now": open_now and now > due,
            "overdue_seconds": int(late_by.total_seconds())
            if (self.completed_at is not None or open_now)
            else 0,
            "paused_now": self.paused_since is not None and open_now,
            "provisional": self.provisional,
        }


@dataclass
class TimelinessFold:
    """Folds an appeal's events, in order, into its stage cycles."""

    cycles: list[StageCycle] = field(default_factory=list)
    open_index: dict[str, int] = field(default_factory=dict)
    unit: str | None = None
    cadre: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    responds_from_assignment: bool = False
    """Received with a dispatch deadline: first responses run from assignment."""

    def to_state(self, cycles: list[Any] | None = None) -> dict[str, Any]:
        """A JSON-friendly form; ``cycles``: the cycles' own forms, if a
        store has them already (``StageCycle.keep_encoded``)."""
        return {
            "cycles": [cycle.to_state() for cycle in self.cycles]
            if cycles is None
            else cycles,
            "open": self.open_index,
            "unit": self.unit,
            "cadre": self.cadre,
            "counts": self.counts,
            "from_assignment": self.responds_from_assignment,
        }

    def copy(self) -> TimelinessFold:
        """An independent copy (cycles are immutable, so sharing them is safe)."""
        return TimelinessFold(
            cycles=list(self.cycles),
            open_index=dict(self.open_index),
            unit=self.unit,
            cadre=self.cadre,
            counts=dict(self.counts),
            responds_from_assignment=self.responds_from_assignment,
        )

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TimelinessFold:
        return cls(
            cycles=[StageCycle.from_state(c) for c in state["cycles"]],
            open_index=dict(state["open"]),
            unit=state["unit"],
            cadre=state["cadre"],
            counts=dict(state["counts"]),
            responds_from_assignment=state.get("from_assignment", False),
        )

    def apply(self, topic: str, event: Any) -> None:
        at: datetime = event.timestamp
        name = topic.removeprefix("Appeal.")
        if topic in FIRST_RESPONSE_TOPICS:
            self._complete("first_response", at)
        estimated = bool(getattr(event, "provisional", False))
        if name == "Received":
            dispatch_due = getattr(event, "dispatch_due", None)
            self.responds_from_assignment = dispatch_due is not None
            if event.first_response_due is not None:  # received before dispatch
                self._start("first_response", at, event.first_response_due, estimated)
            self._start_dispatch(at, dispatch_due, estimated)
        elif name == "Assigned":
            self._complete("dispatch", at)
            self._end_parts("superseded", at)
            self.unit = event.unit
            self.cadre = event.cadre
            self._start("accept", at, event.accept_due, estimated)
            self._start("resolve", at, event.resolve_due, estimated)
            first_response_due = getattr(event, "first_response_due", None)
            if first_response_due is not None:
                self._start("first_response", at, first_response_due, estimated)
            self._start_parts(event, at, estimated)
        elif name == "AnsweredOnTheSpot":
            self._complete("dispatch", at)
            self.unit, self.cadre = CENTRE_UNIT, None  # the centre answered
            self._start("evaluation", at, event.evaluation_due, estimated)
        elif name == "Accepted":
            self._complete("accept", at)
        elif name == "PartAccepted":
            self._complete(f"co_accept:{event.unit}", at)
        elif name == "PartReported":
            self._complete(f"co_accept:{event.unit}", at)
            self._complete(f"co_report:{event.unit}", at)
        elif name == "PartWaived":
            self._end(f"co_accept:{event.unit}", "waived", at)
            self._end(f"co_report:{event.unit}", "waived", at)
        elif name == "Returned":
            self._end("accept", "returned", at)
            self._end("resolve", "returned", at)
            if self.responds_from_assignment:
                self._end("first_response", "returned", at)
            self._end_parts("returned", at)
            # unassigned until the next assignment: what happens meanwhile is
            # not the returning unit's (its cycles above keep their unit)
            self.unit = self.cadre = None
            self._start_dispatch(at, getattr(event, "dispatch_due", None), estimated)
        elif name == "Paused":
            self._update("resolve", paused_since=at)
        elif name == "Resumed":
            self._resume(event)
        elif name == "ExtensionApproved":
            cycle = self._open("resolve")
            if cycle is not None:
                self._update(
                    "resolve",
                    due=event.new_deadline,
                    extensions=cycle.extensions + 1,
                    provisional=estimated,
                )
        elif name == "Resolved":
            self._complete("resolve", at)
            self._start("reply", at, event.reply_due, estimated)
        elif name == "Replied":
            self._complete("reply", at)
            self._start("evaluation", at, event.evaluation_due, estimated)
        elif name == "Evaluated":
            self._complete("evaluation", at)
            self._start_close(at, getattr(event, "close_due", None), estimated)
        elif name == "EvaluationLapsed":
            self._end("evaluation", "lapsed", at)
            self._start_close(at, getattr(event, "close_due", None), estimated)
        elif name == "Escalated":
            cycle = self._open(event.stage)
            if cycle is not None:
                level = max(cycle.escalation_level, event.level)
                self._update(event.stage, escalation_level=level)
        elif name == "Warned":
            self._update(event.stage, warned=True)
        elif name == "Reopened":
            for stage in ("reply", "evaluation", "close"):
                self._end(stage, "reopened", at)
            if event.resolve_due is not None:
                self._start("resolve", at, event.resolve_due, estimated)
            self._start_dispatch(at, getattr(event, "dispatch_due", None), estimated)
        elif topic in CLOSING_TOPICS:
            if name == "Closed":
                self._complete("close", at)
            for stage in list(self.open_index):
                self._end(stage, name.lower(), at)

    def report(self, now: datetime, tk: Timekeeping) -> list[dict[str, Any]]:
        return [cycle.measure(now, tk) for cycle in self.cycles]

    # ---- bookkeeping -----------------------------------------------------

    def _start(
        self,
        stage: str,
        at: datetime,
        due: datetime,
        provisional: bool = False,
        unit: str | None = None,
        key: str | None = None,
    ) -> None:
        """A new cycle of ``stage``, charged to ``unit`` (default: the unit
        the appeal is with), replacing a running one; ``key`` tells apart
        cycles of one stage that run side by side (each co-unit's part)."""
        key = key or stage
        self._end(key, "superseded", at)
        self.counts[stage] = self.counts.get(stage, 0) + 1
        cadre = self.cadre if unit is None else None
        self.cycles.append(
            StageCycle(
                stage,
                self.counts[stage],
                unit or self.unit,
                at,
                due,
                cadre=cadre,
                provisional=provisional,
            )
        )
        self.open_index[key] = len(self.cycles) - 1

    def _start_parts(self, event: Any, at: datetime, provisional: bool) -> None:
        """Each co-unit's own clocks (协办): accept, then report its part."""
        accept_due = getattr(event, "co_accept_due", None)
        report_due = getattr(event, "co_report_due", None)
        if report_due is None:
            return
        for unit in getattr(event, "co_units", ()):
            if accept_due is not None:
                self._start(
                    "co_accept",
                    at,
                    accept_due,
                    provisional,
                    unit,
                    key=f"co_accept:{unit}",
                )
            self._start(
                "co_report", at, report_due, provisional, unit, key=f"co_report:{unit}"
            )

    def _end_parts(self, reason: str, at: datetime) -> None:
        for key in [k for k in self.open_index if k.startswith("co_")]:
            self._end(key, reason, at)

    def _start_dispatch(
        self, at: datetime, due: datetime | None, provisional: bool
    ) -> None:
        """The centre's dispatch stage, if the event set its deadline."""
        if due is not None:
            self._start("dispatch", at, due, provisional, unit=CENTRE_UNIT)

    def _start_close(
        self, at: datetime, due: datetime | None, provisional: bool
    ) -> None:
        """The centre's reconcile-and-close stage (对账销号), if the event set
        its deadline (evaluations recorded before it was kept did not)."""
        if due is not None:
            self._start("close", at, due, provisional, unit=CENTRE_UNIT)

    def _open(self, stage: str) -> StageCycle | None:
        index = self.open_index.get(stage)
        return None if index is None else self.cycles[index]

    def _update(self, stage: str, **changes: Any) -> None:
        index = self.open_index.get(stage)
        if index is not None:
            self.cycles[index] = replace(self.cycles[index], **changes)

    def _complete(self, stage: str, at: datetime) -> None:
        self._update(stage, completed_at=at, paused_since=None)
        self.open_index.pop(stage, None)

    def _end(self, stage: str, reason: str, at: datetime) -> None:
        self._update(stage, ended_by=reason, ended_at=at, paused_since=None)
        self.open_index.pop(stage, None)

    def _resume(self, event: Any) -> None:
        cycle = self._open("resolve")
        if cycle is None:
            return
        waited = timedelta(seconds=event.paused_seconds)
        self._update(
            "resolve",
            paused=cycle.paused + waited,
            paused_since=None,
            due=event.resolve_due,
            provisional=bool(getattr(event, "provisional", False)),
        )


def timeliness(
    events: Iterable[Any], now: datetime, tk: Timekeeping
) -> list[dict[str, Any]]:
    """Every stage cycle of an appeal, measured at ``now``."""
    fold = TimelinessFold()
    for event in events:
        fold.apply(getattr(type(event), "TOPIC", ""), event)
    return fold.report(now, tk)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
