"""Exclusions from assessment (剔除) with evidence: the unit handling the
appeal or the centre asks, once at a time, saying why; a supervisor grants or
refuses; a granted exclusion stands; a merged appeal has nothing to exclude."""

from __future__ import annotations

import pytest

from appeals.domain import events as ev
from appeals.domain.commands import DecideExclusion, RequestExclusion
from appeals.domain.errors import CommandNotAllowed, InvalidField, NotPermitted
from appeals.domain.values import ExclusionReason
from tests.builders import when
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    HANDLER,
    OTHER_HANDLER,
    SUPERVISOR,
    appeal_in,
    at,
)

FINAL = RequestExclusion(
    ExclusionReason.FINAL_REPLY, "2026年10月9日已书面最终答复，企业无新诉求"
)


def test_a_request_then_a_grant_is_recorded_with_its_evidence() -> None:
    appeal = appeal_in("in_progress")
    when(appeal, FINAL, HANDLER, at(3))
    when(appeal, DecideExclusion(True, "证据充分，同意剔除"), SUPERVISOR, at(4))
    requested, granted = appeal.collect_events()
    assert isinstance(requested, ev.ExclusionRequested)
    assert (requested.reason, requested.evidence) == ("final_reply", FINAL.evidence)
    assert isinstance(granted, ev.ExclusionGranted)
    assert appeal.exclusion == {
        "status": "granted",
        "reason": "final_reply",
        "evidence": FINAL.evidence,
        "note": "证据充分，同意剔除",
    }


def test_a_refused_request_may_be_made_again_but_a_granted_one_stands() -> None:
    appeal = appeal_in("resolved")
    when(appeal, FINAL, DISPATCHER, at(3))
    with pytest.raises(CommandNotAllowed, match="already requested"):
        when(appeal, FINAL, HANDLER, at(3))
    when(appeal, DecideExclusion(False, "证据不足"), SUPERVISOR, at(4))
    assert appeal.exclusion is not None
    assert appeal.exclusion["status"] == "refused"
    when(appeal, FINAL, HANDLER, at(5))
    when(appeal, DecideExclusion(True), SUPERVISOR, at(6))
    with pytest.raises(CommandNotAllowed, match="already granted"):
        when(appeal, FINAL, HANDLER, at(7))


def test_nothing_to_decide_without_a_pending_request() -> None:
    appeal = appeal_in("in_progress")
    with pytest.raises(CommandNotAllowed, match="no exclusion request is pending"):
        when(appeal, DecideExclusion(True), SUPERVISOR, at(3))
    assert appeal.collect_events() == []


@pytest.mark.parametrize(
    ("command", "actor"),
    [
        (FINAL, OTHER_HANDLER),  # another unit's handler
        (FINAL, SUPERVISOR),  # asks nothing: decides
        (DecideExclusion(True), HANDLER),  # a unit never decides its own
        (DecideExclusion(True), DISPATCHER),
    ],
)
def test_who_may_ask_and_who_may_decide(
    command: RequestExclusion | DecideExclusion, actor: object
) -> None:
    appeal = appeal_in("in_progress")
    if isinstance(command, DecideExclusion):
        when(appeal, FINAL, HANDLER, at(3))
        appeal.collect_events()
    with pytest.raises(NotPermitted):
        when(appeal, command, actor, at(4))  # type: ignore[arg-type]
    assert appeal.collect_events() == []


def test_bad_input_names_the_field() -> None:
    appeal = appeal_in("in_progress")
    with pytest.raises(InvalidField) as refused:
        when(appeal, RequestExclusion("tired", "证据"), HANDLER, at(3))  # type: ignore[arg-type]
    assert refused.value.field == "reason"
    with pytest.raises(InvalidField) as refused:
        when(appeal, RequestExclusion(ExclusionReason.OTHER, " "), HANDLER, at(3))
    assert refused.value.field == "evidence"
    assert appeal.collect_events() == []


def test_a_merged_appeal_has_nothing_to_exclude_but_a_withdrawn_one_may() -> None:
    merged = appeal_in("merged")
    with pytest.raises(CommandNotAllowed, match="merged"):
        when(merged, FINAL, DISPATCHER, at(3))
    withdrawn = appeal_in("withdrawn")
    when(withdrawn, FINAL, DISPATCHER, at(3))
    assert withdrawn.exclusion is not None
