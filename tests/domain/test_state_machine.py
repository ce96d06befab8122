"""Every command against every status: allowed ones record exactly one event,
refused ones raise CommandNotAllowed naming the command and the status, and
record nothing. The administrator issues them, so only the state decides."""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

import pytest

from appeals.domain.appeal import Appeal
from appeals.domain.errors import CommandNotAllowed
from appeals.domain.values import Channel, Outcome, Satisfaction
from tests.domain.lifecycle_fixtures import ADMIN, ALL_STATUSES, TK, UNIT, appeal_in, at

OPEN = {"received", "assigned", "in_progress", "resolved", "replied", "evaluated"}

# The lifecycle of DOMAIN.md, written out: command -> (call, statuses allowing it).
COMMANDS: dict[str, tuple[Callable[[Appeal], None], set[str]]] = {
    "assign": (lambda a: a.assign(ADMIN, at(9), UNIT, None, TK), {"received"}),
    "accept": (lambda a: a.accept(ADMIN, at(9)), {"assigned"}),
    "return": (
        lambda a: a.return_(ADMIN, at(9), "非本单位职责"),
        {"assigned", "in_progress"},
    ),
    "note_progress": (
        lambda a: a.note_progress(ADMIN, at(9), "已约谈"),
        {"in_progress"},
    ),
    "pause": (lambda a: a.pause(ADMIN, at(9), "请企业补充财务报表"), {"in_progress"}),
    # resume needs a paused appeal: no status of the plain path allows it.
    "resume": (lambda a: a.resume(ADMIN, at(9), "", TK), set()),
    "request_extension": (
        lambda a: a.request_extension(ADMIN, at(9), at(200), "需多部门会商"),
        {"in_progress"},
    ),
    # deciding needs a pending request: no status of the plain path allows it.
    "decide_extension": (lambda a: a.decide_extension(ADMIN, at(9), True), set()),
    "supervise": (lambda a: a.supervise(ADMIN, at(9), 1, "请加快办理"), OPEN),
    "resolve": (
        lambda a: a.resolve(ADMIN, at(9), Outcome.EXPLAINED, "已解释政策", TK),
        {"in_progress"},
    ),
    "reply": (
        lambda a: a.reply(ADMIN, at(9), Channel.PORTAL, "结果已告知", TK),
        {"resolved"},
    ),
    "evaluate": (
        lambda a: a.evaluate(ADMIN, at(9), True, Satisfaction.BASIC, "", TK),
        {"replied"},
    ),
    "reopen": (
        lambda a: a.reopen(ADMIN, at(9), "复核发现未落实", TK),
        {"resolved", "replied", "evaluated"},
    ),
    "close": (lambda a: a.close(ADMIN, at(9)), {"evaluated"}),
    "withdraw": (lambda a: a.withdraw(ADMIN, at(9), "不再需要"), OPEN),
    "merge": (lambda a: a.merge_into(ADMIN, at(9), uuid4(), "重复诉求"), OPEN),
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
