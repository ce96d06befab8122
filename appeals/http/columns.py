"""What a report's columns are called and what kind of value each holds, so
an export reads as a clerk expects (docs/reports.md, "Exports").

Every report names its columns by key (``on_time_rate``, ``due`` ...); this
module gives each key its Chinese and English header and its kind:

- ``rate``: a share 0..1 — a percentage with one decimal in CSV (header
  ``(%)``; 四舍五入, half up), a number formatted ``0.0%`` in XLSX;
- ``time``: an instant — ``YYYY-MM-DD HH:MM`` in Asia/Shanghai in CSV, a date
  and time cell in XLSX;
- ``count``, ``hours``, ``days``, ``score``: numbers (hours and days to two
  decimals, the score to four);
- ``text``: as it is.

A key not listed here falls back on its suffix (``_rate``, ``_at``,
``_hours``) and on itself as its header; ``tests/http/test_exports.py`` checks
that every report's export has a Chinese header for every column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from appeals.domain.assessment import INDICATORS
from appeals.infra.clock import SHANGHAI

KINDS = ("text", "count", "rate", "hours", "days", "score", "time", "day")


@dataclass(frozen=True)
class Column:
    """One column of an export."""

    key: str
    zh: str
    en: str
    kind: str = "text"

    def header(self, lang: str, *, percent: bool) -> str:
        """The header in ``lang``; a rate column says ``(%)`` where its cells
        are percentages (CSV)."""
        text = self.zh if lang == "zh" else self.en
        return f"{text}(%)" if percent and self.kind == "rate" else text


def _columns(*specs: tuple[str, str, str, str]) -> dict[str, Column]:
    return {key: Column(key, zh, en, kind) for key, zh, en, kind in specs}


COLUMNS: dict[str, Column] = _columns(
    # who and what
    ("id", "诉求编号", "Appeal id", "text"),
    ("appeal_id", "诉求编号", "Appeal id", "text"),
    ("ticket", "工单号", "Ticket", "text"),
    ("title", "标题", "Title", "text"),
    ("status", "状态", "Status", "text"),
    ("status_zh", "状态(中文)", "Status (Chinese)", "text"),
    ("uscc", "统一社会信用代码", "Credit code", "text"),
    ("enterprise_name", "企业名称", "Enterprise", "text"),
    ("channel", "渠道", "Channel", "text"),
    ("category", "类别", "Category", "text"),
    ("category_zh", "类别(中文)", "Category (Chinese)", "text"),
    ("priority", "优先级", "Priority", "text"),
    ("unit", "单位", "Unit", "text"),
    ("unit_name", "单位名称", "Unit name", "text"),
    ("cadre", "干部", "Cadre", "text"),
    ("item", "目录事项", "Catalogue item", "text"),
    ("stage", "环节", "Stage", "text"),
    ("bucket", "超期分档", "Overdue bucket", "text"),
    ("outcome", "办理结果", "Outcome", "text"),
    ("satisfaction", "满意度", "Satisfaction", "text"),
    ("paused", "是否暂停", "Paused", "text"),
    ("needs_supervisor", "需督办", "Needs a supervisor", "text"),
    ("addressee", "督办对象", "Addressee", "text"),
    ("note", "说明", "Note", "text"),
    ("group", "分组", "Group", "text"),
    ("label", "名称", "Name", "text"),
    ("name", "名称", "Name", "text"),
    ("locality", "属地", "Locality", "text"),
    ("locality_name", "属地名称", "Locality name", "text"),
    ("period", "期间", "Period", "text"),
    ("month", "月份", "Month", "text"),
    ("last_visit", "最近走访", "Last visit", "day"),
    ("done_on", "完成日期", "Done on", "day"),
    ("number", "序号", "Number", "count"),
    ("meeting_id", "会办编号", "Meeting id", "text"),
    ("subject", "会办事项", "Subject", "text"),
    ("task", "任务", "Task", "text"),
    ("owner", "责任单位", "Owner unit", "text"),
    ("overdue", "是否逾期", "Overdue", "text"),
    ("linked", "挂钩企业数", "Linked enterprises", "count"),
    ("visited", "已走访企业数", "Visited", "count"),
    ("coverage", "每月走访率", "Visit coverage", "rate"),
    ("visits", "走访次数", "Visits", "count"),
    ("problems", "发现问题数", "Problems raised", "count"),
    ("problems_per_visit", "每次走访问题数", "Problems per visit", "hours"),
    ("not_visited", "未走访企业", "Not visited", "text"),
    ("level", "督办级别", "Level", "count"),
    ("addressee_unit", "督办对象单位", "Addressee unit", "text"),
    ("issued_at", "督办时间", "Issued", "time"),
    ("reply_due", "回复期限", "Reply due", "time"),
    ("answered_at", "回复时间", "Answered", "time"),
    ("answer_by", "回复单位", "Answered by", "text"),
    ("settled_at", "办理时间", "Settled", "time"),
    ("round", "轮次", "Round", "count"),
    ("purpose", "回访目的", "Purpose", "text"),
    ("opened_at", "入列时间", "Queued", "time"),
    ("state", "状态", "State", "text"),
    ("attempts", "回访次数", "Attempts", "count"),
    ("last_outcome", "最近结果", "Last outcome", "text"),
    ("last_attempt_at", "最近回访时间", "Last attempt", "time"),
    ("grade", "好差评", "Grade", "text"),
    # times
    ("received_at", "受理时间", "Received", "time"),
    ("updated_at", "更新时间", "Updated", "time"),
    ("last_activity", "最近办理", "Last activity", "time"),
    ("due", "期限", "Due", "time"),
    ("noticed", "通报时间", "Noticed", "time"),
    ("answered", "回复时间", "Answered", "time"),
    ("settled", "办理时间", "Settled", "time"),
    # counts
    ("appeals", "诉求件数", "Appeals", "count"),
    ("received", "受理件数", "Received", "count"),
    ("reopen_count", "重办次数", "Reopened", "count"),
    ("return_count", "退单次数", "Returned", "count"),
    ("supervision_level", "督办级别", "Supervision level", "count"),
    ("escalation_level", "督办级别", "Escalation level", "count"),
    ("completed", "完成数", "Completed", "count"),
    ("on_time", "按时数", "On time", "count"),
    ("assigned", "交办数", "Assigned", "count"),
    ("accepted", "签收数", "Accepted", "count"),
    ("accepted_on_time", "按时签收数", "Accepted on time", "count"),
    ("returned", "退单数", "Returned", "count"),
    ("responses_due", "应响应数", "Responses due", "count"),
    ("responded_on_time", "按时响应数", "Responded on time", "count"),
    ("resolved", "办结数", "Resolved", "count"),
    ("resolved_on_time", "按时办结数", "Resolved on time", "count"),
    ("replied", "反馈数", "Replied", "count"),
    ("replied_on_time", "按时反馈数", "Replied on time", "count"),
    ("evaluated", "评价数", "Evaluated", "count"),
    ("judged_resolved", "评价已解决数", "Judged resolved", "count"),
    ("satisfied", "满意数", "Satisfied", "count"),
    ("basically_satisfied", "基本满意数", "Basically satisfied", "count"),
    ("unsatisfied", "不满意数", "Unsatisfied", "count"),
    ("evaluation_lapsed", "评价超期数", "Evaluations lapsed", "count"),
    ("reopened", "重办数", "Reopened", "count"),
    ("supervised", "督办数", "Supervised", "count"),
    ("escalated", "自动督办数", "Escalated", "count"),
    ("public_notices", "通报数", "Public notices", "count"),
    ("extended", "延期数", "Extended", "count"),
    ("dispatched", "转办数", "Dispatched", "count"),
    ("dispatched_on_time", "按时转办数", "Dispatched on time", "count"),
    ("answered_on_the_spot", "当场办结数", "Answered on the spot", "count"),
    ("urged", "催办数", "Urged", "count"),
    ("warned", "预警数", "Warned", "count"),
    ("assignments", "交办次数", "Assignments", "count"),
    ("first_dispatches", "首次派单数", "First dispatches", "count"),
    ("redispatches", "再派单数", "Re-dispatches", "count"),
    ("returns", "退单数", "Returns", "count"),
    ("reached", "回访成功数", "Reached", "count"),
    ("unreachable", "无法回访数", "Unreachable", "count"),
    ("sampled", "抽查数", "Sampled", "count"),
    ("sampled_satisfied", "抽查满意数", "Sampled satisfied", "count"),
    ("late", "超期数", "Late", "count"),
    ("open", "在办数", "Open", "count"),
    ("rank", "排名", "Rank", "count"),
    ("verdicts_lapsed", "评价超期未评", "Verdicts lapsed", "count"),
    ("verdicts_pending", "待评价", "Verdicts pending", "count"),
    # durations (working time)
    ("resolve_working_seconds", "办结工作时长(秒)", "Resolve working seconds", "count"),
    (
        "dispatch_working_seconds",
        "转办工作时长(秒)",
        "Dispatch working seconds",
        "count",
    ),
    ("accept_working_seconds", "签收工作时长(秒)", "Accept working seconds", "count"),
    ("median_working_hours", "工作时长中位数(小时)", "Median working hours", "hours"),
    ("p90_working_hours", "工作时长90分位(小时)", "90th percentile hours", "hours"),
    (
        "mean_working_hours_to_accept",
        "平均签收工作时长(小时)",
        "Mean hours to accept",
        "hours",
    ),
    ("late_working_days", "超期工作日", "Working days late", "days"),
    ("score", "得分", "Score", "score"),
    # rates
    ("on_time_rate", "按时率", "On-time rate", "rate"),
    ("response_rate", "响应率", "Response rate", "rate"),
    ("resolution_rate", "解决率", "Resolution rate", "rate"),
    ("satisfaction_rate", "满意率", "Satisfaction rate", "rate"),
    ("on_time_acceptance_rate", "及时签收率", "On-time acceptance rate", "rate"),
    ("on_time_resolution_rate", "按时办结率", "On-time resolution rate", "rate"),
    ("return_rate", "退单率", "Return rate", "rate"),
    ("late_rate", "超期率", "Late rate", "rate"),
    ("valid_callback_rate", "有效回访率", "Valid callback rate", "rate"),
    ("sample_satisfaction_rate", "抽查满意率", "Sample satisfaction rate", "rate"),
    # trend comparisons (their kind is the indicator's: see trend_columns)
    ("baseline", "基期值", "Baseline", "text"),
    ("compare", "对比期值", "Compared", "text"),
    ("change", "变化", "Change", "text"),
    ("relative_change", "变化率", "Relative change", "rate"),
)
for _indicator in INDICATORS.values():
    # the assessment's indicators, with their numerators and denominators
    COLUMNS.setdefault(
        _indicator.key,
        Column(_indicator.key, _indicator.zh, _indicator.en.capitalize(), "rate"),
    )
    COLUMNS[f"{_indicator.key}_numerator"] = Column(
        f"{_indicator.key}_numerator", f"{_indicator.zh}分子",
        f"{_indicator.en.capitalize()}: numerator", "count",
    )  # fmt: skip
    COLUMNS[f"{_indicator.key}_due"] = Column(
        f"{_indicator.key}_due", f"{_indicator.zh}应办数",
        f"{_indicator.en.capitalize()}: due", "count",
    )  # fmt: skip


def column(key: str) -> Column:
    """The column ``key`` (by its suffix where it is not listed)."""
    found = COLUMNS.get(key)
    if found is not None:
        return found
    if key.endswith("_rate"):
        kind = "rate"
    elif key.endswith("_at"):
        kind = "time"
    elif key.endswith("_hours"):
        kind = "hours"
    else:
        kind = "text"
    return Column(key, key, key, kind)


def named(key: str, zh: str, en: str, kind: str) -> Column:
    """A column with headers of its own (a month in a trend, say)."""
    return Column(key, zh, en, kind)


# ---- cells --------------------------------------------------------------------

PLACES = {"hours": Decimal("0.01"), "days": Decimal("0.01"), "score": Decimal("0.0001")}


def half_up(value: float, places: Decimal) -> float:
    """``value`` rounded half up (四舍五入) to ``places``."""
    return float(Decimal(repr(value)).quantize(places, rounding=ROUND_HALF_UP))


def shanghai_time(value: Any) -> datetime | None:
    """An ISO instant (with its offset) as a naive Asia/Shanghai time; None
    for anything else, a plain day included."""
    if isinstance(value, datetime):
        instant = value
    elif isinstance(value, str) and "T" in value:
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    if instant.tzinfo is None:
        return instant
    return instant.astimezone(SHANGHAI).replace(tzinfo=None)


def shanghai_minute(value: Any) -> Any:
    """An instant as people read it: ``2026-11-03 14:05`` in Asia/Shanghai
    (CSV cells, the printable 通报, the dashboard); nothing as ``""``; text
    that is no instant as it is."""
    if value is None or value == "":
        return ""
    local = shanghai_time(value)
    return value if local is None else local.strftime("%Y-%m-%d %H:%M")


def csv_cell(kind: str, value: Any) -> Any:
    """A cell as CSV shows it: rates in percent, times in Shanghai minutes."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if kind == "rate" and isinstance(value, int | float):
        percent = Decimal(repr(value)) * 100  # exact: 0.0045 is 0.45, not 0.4499…
        return float(percent.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    if kind in PLACES and isinstance(value, int | float):
        return half_up(value, PLACES[kind])
    if kind == "time":
        return shanghai_minute(value)
    return value


NUMBER_FORMATS = {
    "rate": "0.0%",
    "hours": "0.00",
    "days": "0.00",
    "score": "0.0000",
    "count": "0",
    "time": "yyyy-mm-dd hh:mm",
}


def xlsx_cell(kind: str, value: Any) -> tuple[Any, str | None]:
    """A typed cell for XLSX and its number format: rates stay shares (shown
    as percentages), times become date-times, counts integers; text loses the
    control characters a worksheet cannot hold."""
    if value is None:
        return None, None
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if isinstance(value, bool):
        return ("是" if value else "否"), None
    if kind == "time":
        local = shanghai_time(value)
        return (value, None) if local is None else (local, NUMBER_FORMATS["time"])
    if kind == "day" and isinstance(value, str):
        try:
            return date.fromisoformat(value), "yyyy-mm-dd"
        except ValueError:
            return value, None
    if kind in NUMBER_FORMATS and isinstance(value, int | float):
        return value, NUMBER_FORMATS[kind]
    return value, None
