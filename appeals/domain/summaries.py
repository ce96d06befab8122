"""One-line human summaries of appeal events, in Chinese and English, for
histories read by auditors ("2026-10-08 09:12 市人社局 张三 签收")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from appeals.domain.values import (
    CallbackOutcome,
    Channel,
    Grade,
    Labelled,
    Outcome,
    Role,
    Satisfaction,
)
from appeals.domain.working_time import SHANGHAI

VERBS: dict[str, tuple[str, str]] = {
    "Received": ("受理", "received"),
    "Assigned": ("交办", "assigned"),
    "AnsweredOnTheSpot": ("当场办，直接答复", "answered on the spot"),
    "Accepted": ("签收", "accepted"),
    "Returned": ("退回", "returned"),
    "ProgressNoted": ("记录办理进展", "noted progress"),
    "Paused": ("暂停计时，等待企业补充材料", "paused, waiting for the enterprise"),
    "Resumed": ("恢复计时", "resumed"),
    "ExtensionRequested": ("申请延期", "requested an extension"),
    "ExtensionApproved": ("批准延期", "approved an extension"),
    "ExtensionRefused": ("不予延期", "refused an extension"),
    "ExclusionRequested": ("申请剔除考核", "asked to exclude it from assessment"),
    "ExclusionGranted": ("批准剔除考核", "excluded it from assessment"),
    "ExclusionRefused": ("不予剔除", "refused the exclusion"),
    "Supervised": ("督办", "supervised"),
    "Resolved": ("办结", "resolved"),
    "Replied": ("反馈企业", "replied to the enterprise"),
    "Evaluated": ("企业评价", "evaluation recorded"),
    "Reopened": ("重办", "reopened"),
    "ReferredToSupervisor": ("提交督办人", "referred to a supervisor"),
    "Closed": ("对账销号", "closed"),
    "Withdrawn": ("撤回", "withdrawn"),
    "Merged": ("合并", "merged"),
    "Warned": ("预警", "warned before the deadline"),
    "Commented": ("留言", "commented"),
    "MaterialsSupplied": ("补充材料", "supplied materials"),
    "Urged": ("企业催办", "urged by the enterprise"),
    "AttachmentAdded": ("上传附件", "attached a file"),
    "CalledBack": ("回访", "called back"),
    "Sampled": ("抽查", "drawn for a quality check"),
    "OrderAnswered": ("督办回复", "answered a supervision order"),
    "PartAccepted": ("协办签收", "accepted its co-handling part"),
    "PartReported": ("协办反馈", "reported its co-handling part"),
    "PartWaived": ("免于协办", "waived a co-handling part"),
    "TakenOver": ("领导领办", "taken over by a leader"),
}


def _label(kind: type[Labelled], code: object) -> tuple[str, str]:
    for member in kind:
        if member.value == code:
            return member.zh, member.en
    return str(code), str(code)


def _details(name: str, state: Mapping[str, Any]) -> tuple[str, str]:
    if name == "Received":
        zh, en = _label(Channel, state.get("channel"))
        return f"（{zh}）{state.get('title', '')}", f"({en}) {state.get('title', '')}"
    if name == "Assigned":
        cadre = f" {state['cadre']}" if state.get("cadre") else ""
        zh, en = f"至 {state.get('unit')}{cadre}", f"to {state.get('unit')}{cadre}"
        if state.get("item"):
            zh += f"（按目录事项 {state['item']}）"
            en += f" (by catalogue item {state['item']})"
        if state.get("co_units"):
            zh += f"，协办 {'、'.join(state['co_units'])}"
            en += f", with {', '.join(state['co_units'])}"
        return zh, en
    if name == "AnsweredOnTheSpot":
        item = state.get("item")
        return f"（目录事项 {item}）", f"(catalogue item {item})"
    if name == "Supervised":
        level = state.get("level")
        return f"（{level}级）", f"(level {level})"
    if name == "Resolved":
        zh, en = _label(Outcome, state.get("outcome"))
        return f"：{zh}", f": {en}"
    if name == "CalledBack":
        zh, en = _label(CallbackOutcome, state.get("outcome"))
        if state.get("grade"):
            grade_zh, grade_en = _label(Grade, state.get("grade"))
            zh, en = f"{zh}，{grade_zh}", f"{en}, {grade_en}"
        if state.get("unreachable"):
            zh, en = f"{zh}，无法回访", f"{en}, unreachable"
        return f"：{zh}", f": {en}"
    if name == "Evaluated":
        if state.get("grade"):
            zh, en = _label(Grade, state.get("grade"))
        else:
            zh, en = _label(Satisfaction, state.get("satisfaction"))
        solved = "已解决" if state.get("resolved") else "未解决"
        return f"：{solved}，{zh}", (
            f": {'resolved' if state.get('resolved') else 'not resolved'}, {en}"
        )
    if name == "ExtensionApproved":
        until = _minute(state.get("new_deadline"))
        return f"至 {until}", f"until {until}"
    if name == "Reopened" and state.get("rectification"):
        return ("（差评，退回核实整改）", "(bad evaluation: to rectify)")
    if name == "Reopened" and state.get("automatic"):
        return (
            "（评价不满意自动重办）",
            "(automatically, after an unsatisfied evaluation)",
        )
    return "", ""


def _minute(value: object) -> str:
    """Local (Asia/Shanghai) time to the minute, as people read it."""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return str(value)


def summarise(topic: str, state: Mapping[str, Any]) -> dict[str, str]:
    """``{"zh": ..., "en": ...}`` for one stored appeal event."""
    event = topic.removeprefix("Appeal.")
    verb_zh, verb_en = VERBS.get(event, (event, event))
    actor: Mapping[str, Any] = state.get("actor") or {}
    role_zh, role_en = _label(Role, actor.get("role"))
    unit = actor.get("unit") or ""
    name = actor.get("name") or ""
    if unit and unit in name:
        unit = ""  # the name already says it ("市人社局 张三")
    who_zh = " ".join(x for x in (unit, name or role_zh) if x)
    who_en = " ".join(x for x in (unit, name or role_en) if x)
    when = _minute(state.get("timestamp"))
    detail_zh, detail_en = _details(event, state)
    return {
        "zh": f"{when} {who_zh} {verb_zh}{detail_zh}".strip(),
        "en": f"{when} {who_en} {verb_en}{detail_en}".strip(),
    }
