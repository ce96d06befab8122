"""Every command against every status: allowed ones record exactly one event,
refused ones raise CommandNotAllowed naming the command and the status, and
record nothing. The administrator issues them, so only the state decides."""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

import pytest

from appeals.domain.appeal import Appeal
from appeals.domain.commands import (
    Accept,
    Assign,
    Close,
    DecideExtension,
    Evaluate,
    Merge,
    NoteProgress,
    Pause,
    Reopen,
    Reply,
    RequestExtension,
    Resolve,
    Resume,
    Return,
    Supervise,
    Withdraw,
)
from appeals.domain.errors import CommandNotAllowed
from appeals.domain.values import Channel, Outcome, Satisfaction
from tests.builders import when
from tests.domain.lifecycle_fixtures import ADMIN, ALL_STATUSES, UNIT, appeal_in, at

OPEN = {"received", "assigned", "in_progress", "resolved", "replied", "evaluated"}

# The lifecycle of docs/domain.md, written out: command -> (call, statuses allowing it).
COMMANDS: dict[str, tuple[Callable[[Appeal], None], set[str]]] = {
    "assign": (lambda a: when(a, Assign(UNIT, None), ADMIN, at(9)), {"received"}),
    "accept": (lambda a: when(a, Accept(), ADMIN, at(9)), {"assigned"}),
    "return": (
        lambda a: when(a, Return("非本单位职责"), ADMIN, at(9)),
        {"assigned", "in_progress"},
    ),
    "note_progress": (
        lambda a: when(a, NoteProgress("已约谈"), ADMIN, at(9)),
        {"in_progress"},
    ),
    "pause": (
        lambda a: when(a, Pause("请企业补充财务报表"), ADMIN, at(9)),
        {"in_progress"},
    ),
    # resume needs a paused appeal: no status of the plain path allows it.
    "resume": (lambda a: when(a, Resume(""), ADMIN, at(9)), set()),
    "request_extension": (
        lambda a: when(a, RequestExtension(at(200), "需多部门会商"), ADMIN, at(9)),
        {"in_progress"},
    ),
    # deciding needs a pending request: no status of the plain path allows it.
    "decide_extension": (lambda a: when(a, DecideExtension(True), ADMIN, at(9)), set()),
    "supervise": (lambda a: when(a, Supervise(1, "请加快办理"), ADMIN, at(9)), OPEN),
    "resolve": (
        lambda a: when(a, Resolve(Outcome.EXPLAINED, "已解释政策"), ADMIN, at(9)),
        {"in_progress"},
    ),
    "reply": (
        lambda a: when(a, Reply(Channel.PORTAL, "结果已告知"), ADMIN, at(9)),
        {"resolved"},
    ),
    "evaluate": (
        lambda a: when(a, Evaluate(True, Satisfaction.BASIC, ""), ADMIN, at(9)),
        {"replied"},
    ),
    "reopen": (
        lambda a: when(a, Reopen("复核发现未落实"), ADMIN, at(9)),
        {"resolved", "replied", "evaluated"},
    ),
    "close": (lambda a: when(a, Close(), ADMIN, at(9)), {"evaluated"}),
    "withdraw": (lambda a: when(a, Withdraw("不再需要"), ADMIN, at(9)), OPEN),
    "merge": (lambda a: when(a, Merge(uuid4(), "重复诉求"), ADMIN, at(9)), OPEN),
}

CASES = [
    (command, status, status in allowed)
    for command, (_, allowed) in COMMANDS.items()
    for status in ALL_STATUSES
]


@pytest.mark.parametrize(("command", "status", "allowed"), CASES)
def test_command_in_status(command: str, status: str, allowed: bool) -> None:
    appeal = appeal_in(status)
    version = appeal.version
    call = COMMANDS[command][0]
    if allowed:
        call(appeal)
        events = appeal.collect_events()
        assert len(events) == 1
        assert events[0].originator_version == version + 1
        assert events[0].actor["role"] == "admin"  # type: ignore[attr-defined]
    else:
        with pytest.raises(CommandNotAllowed) as refused:
            call(appeal)
        assert refused.value.command == command
        assert refused.value.status == status
        assert f"that is {status}" in str(refused.value)
        assert appeal.collect_events() == []
        assert appeal.version == version
        assert appeal.status == status
