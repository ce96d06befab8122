"""Who may do what: every cell of the role matrix, and the unit and
enterprise scopes (docs/domain.md: a unit's handlers act only on appeals assigned
to their unit)."""

from __future__ import annotations

import pytest

from appeals.domain.commands import Accept, Withdraw
from appeals.domain.errors import NotPermitted
from appeals.domain.permissions import COMMAND_ROLES, authorize, may_read
from appeals.domain.values import Actor, Role
from tests.builders import when
from tests.domain.lifecycle_fixtures import (
    AUDITOR,
    ENTERPRISE,
    HANDLER,
    OTHER_ENTERPRISE,
    OTHER_HANDLER,
    OTHER_USCC,
    UNIT,
    USCC,
    appeal_in,
    at,
)

# The routing catalogue (派单目录) is kept by the centre's dispatchers.
CATALOGUE = {
    "publish_catalogue_item",
    "revise_catalogue_item",
    "retire_catalogue_item",
    "reinstate_catalogue_item",
}
# Intake and dispatchers register enterprises and keep their details; every
# other registry change (units, cadres, an enterprise's name) is the admin's.
ENTERPRISE_DETAILS = {"register_enterprise", "update_enterprise"}
# 政企互动: officials comment and attach; the enterprise (or intake for it)
# also supplies materials and urges.
OFFICIALS_WRITE = {"comment", "add_attachment"}
ON_BEHALF = {"supply_materials", "urge"}
LINKS = {"manage_links", "record_visit", "file_from_visit"}  # 挂钩服务
MEETINGS = {"hold_meeting", "complete_task"}  # 会办
# The matrix as the README states it (role -> commands), independent of the code.
MATRIX = {
    "intake": {
        "receive",
        "reply",
        "evaluate",
        "close",
        "withdraw",
        *ENTERPRISE_DETAILS,
        "answer_on_the_spot",
        "callback",
        "file_from_visit",
        *OFFICIALS_WRITE,
        *ON_BEHALF,
    },
    "dispatcher": {
        "assign",
        "decide_extension",
        "close",
        "merge",
        "request_exclusion",
        "answer_order",
        *LINKS,
        *MEETINGS,
        *ENTERPRISE_DETAILS,
        *CATALOGUE,
        *OFFICIALS_WRITE,
    },
    "handler": {
        "accept",
        "return",
        "note_progress",
        "pause",
        "resume",
        "request_extension",
        "request_exclusion",
        "resolve",
        "reply",
        "answer_order",
        "accept_part",
        "report_part",
        "record_visit",
        "file_from_visit",
        "complete_task",
        *OFFICIALS_WRITE,
    },
    "supervisor": {
        "assign",
        "note_progress",
        "decide_extension",
        "supervise",
        "sample",
        "answer_order",
        "waive_part",
        "take_over",
        *LINKS,
        *MEETINGS,
        "reopen",
        "close",
        "merge",
        "publish_assessment",
        "publish_notice",
        "decide_exclusion",
        *OFFICIALS_WRITE,
    },
    "auditor": set(),
    "enterprise": {"receive", "evaluate", "withdraw", *OFFICIALS_WRITE, *ON_BEHALF},
    "admin": set(COMMAND_ROLES),
    "system": {"supervise", "reopen", "close", "escalate", "warn", "lapse_evaluation"},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("command", sorted(COMMAND_ROLES))
def test_role_matrix_cell(role: Role, command: str) -> None:
    actor = Actor("x", role, unit=UNIT, uscc=USCC)
    if command in MATRIX[role.value]:
        authorize(command, actor, unit=UNIT, uscc=USCC)
    else:
        with pytest.raises(NotPermitted) as refused:
            authorize(command, actor, unit=UNIT, uscc=USCC)
        assert refused.value.role == role


def test_a_handler_cannot_act_on_another_units_appeal() -> None:
    appeal = appeal_in("assigned")
    with pytest.raises(NotPermitted, match="not your unit's") as refused:
        when(appeal, Accept(), OTHER_HANDLER, at(2))
    assert "SZ-RSJ" not in str(refused.value)  # names nothing it may not see
    assert appeal.collect_events() == []
    when(appeal, Accept(), HANDLER, at(2))


def test_an_enterprise_acts_only_on_its_own_appeals() -> None:
    appeal = appeal_in("replied")
    with pytest.raises(NotPermitted, match="another enterprise"):
        when(appeal, Withdraw("x"), OTHER_ENTERPRISE, at(5))
    when(appeal, Withdraw("已解决"), ENTERPRISE, at(5))
    assert appeal.status == "withdrawn"


def test_read_scopes() -> None:
    assert may_read(HANDLER, unit=UNIT, uscc=OTHER_USCC)
    assert not may_read(OTHER_HANDLER, unit=UNIT, uscc=USCC)
    assert may_read(ENTERPRISE, unit=None, uscc=USCC)
    assert not may_read(OTHER_ENTERPRISE, unit=None, uscc=USCC)
    assert may_read(AUDITOR, unit=None, uscc=USCC)
