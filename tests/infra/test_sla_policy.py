"""Time-limit policy files: the shipped default, partial files, and refusals."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest

from appeals.domain.sla import DEFAULT_POLICY, Counting, ExtensionRules, Limit, Stage
from appeals.domain.values import AppealKind, Category, Priority
from appeals.infra.sla_policy import (
    DEFAULT_POLICY_FILE,
    PolicyFileError,
    load_policy,
    parse_policy,
)


class TestTheShippedDefault:
    def test_equals_the_domain_default(self) -> None:
        assert load_policy() == DEFAULT_POLICY
        assert load_policy(DEFAULT_POLICY_FILE) == DEFAULT_POLICY

    def test_states_every_default_limit_explicitly(self) -> None:
        stated = parse_policy(DEFAULT_POLICY_FILE.read_text(encoding="utf-8"))
        text = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
        for stage, priority in DEFAULT_POLICY.limits:
            assert f"[limits.{stage}]" in text
            assert (
                stated.limits[(stage, priority)]
                == DEFAULT_POLICY.limits[(stage, priority)]
            )
        for category, stage, _ in DEFAULT_POLICY.category_limits:
            assert f"[categories.{category}.{stage}]" in text
        for kind, stage, _ in DEFAULT_POLICY.kind_limits:
            assert f"[kinds.{kind}.{stage}]" in text
        assert stated.kind_limits == DEFAULT_POLICY.kind_limits
        assert 'days = "next_day"' in text

    def test_states_the_new_defaults(self) -> None:
        policy = load_policy()
        assert policy.version == "domain-defaults-3"
        assert policy.day_counting is Counting.NEXT_DAY
        assert policy.limit(Stage.DISPATCH) == Limit.days(Fraction(1, 2))
        assert str(policy.limit(Stage.RESOLVE, kind=AppealKind.CONSULT)) == "3d"
        assert str(policy.limit(Stage.RESOLVE, kind=AppealKind.COMPLAINT)) == "13d"
        assert str(policy.limit(Stage.RESOLVE, kind=AppealKind.SUGGESTION)) == "13d"

    def test_documents_both_counting_conventions(self) -> None:
        text = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
        for name in Counting:
            assert f'"{name}"' in text
        assert "次日起" in text
        assert "close of business" in text

    def test_documents_every_table_and_the_version_with_a_comment(self) -> None:
        lines = DEFAULT_POLICY_FILE.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if line.startswith(("[", "version")):
                assert lines[number - 1].startswith("#"), line

    def test_names_every_stage_priority_and_category_it_accepts(self) -> None:
        text = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
        for name in [*Stage, *Priority, *Category, *AppealKind]:
            assert re.search(rf"\b{name}\b", text), name


class TestPartialFiles:
    def test_keys_left_out_keep_their_default(self) -> None:
        policy = parse_policy(
            'version = "kunshan-1"\n[limits.resolve]\nnormal = "4d"\n'
        )
        assert policy.version == "kunshan-1"
        assert policy.limit(Stage.RESOLVE) == Limit.days(4)
        assert policy.limit(Stage.RESOLVE, Priority.COMPLEX) == Limit.days(15)
        assert policy.limit(Stage.ACCEPT, Priority.URGENT) == Limit.hours(2)
        assert policy.limit(Stage.FIRST_RESPONSE, category=Category.FINANCING) == (
            Limit.days(1)
        )

    def test_categories_can_be_added(self) -> None:
        policy = parse_policy(
            'version = "suzhou-1"\n'
            "[categories.permits.resolve]\n"
            'normal = "2d"  # 开办企业 "2个工作日内完成"\n'
        )
        assert policy.limit("resolve", "normal", "permits") == Limit.days(2)
        assert policy.limit("resolve", "urgent", "permits") == Limit.days(1)

    def test_inline_tables_and_minutes_are_accepted(self) -> None:
        policy = parse_policy(
            'version = "v"\nlimits = { accept = { urgent = "90m" } }\n'
        )
        assert str(policy.limit("accept", "urgent")) == "90m"

    def test_the_evaluation_stage_is_named_evaluation(self) -> None:
        policy = parse_policy('version = "v"\n[limits.evaluation]\nnormal = "2d"\n')
        assert policy.limit(Stage.EVALUATION) == Limit.days(2)

    def test_the_old_name_evaluation_window_is_still_read(self) -> None:
        old = 'version = "v"\n[limits.evaluation_window]\nnormal = "2d"\n'
        assert parse_policy(old).limit(Stage.EVALUATION) == Limit.days(2)

    def test_extension_limits_are_policy_values(self) -> None:
        assert DEFAULT_POLICY.extensions == ExtensionRules(3, Limit.days(3))
        policy = parse_policy(
            'version = "v"\n[extensions]\nmax_count = 1\nmax_length = "10d"\n'
        )
        assert policy.extensions == ExtensionRules(1, Limit.days(10))
        kept = parse_policy('version = "v"\n[extensions]\nmax_count = 0\n')
        assert kept.extensions == ExtensionRules(0, Limit.days(3))

    def test_kinds_can_be_added_and_changed(self) -> None:
        policy = parse_policy(
            'version = "city-2"\n'
            "[kinds.consult.resolve]\n"
            'normal = "5d"\n'
            "[kinds.help.resolve]\n"
            'normal = "7d"\n'
            'urgent = "4h"\n'
        )
        assert policy.limit("resolve", kind="consult") == Limit.days(5)
        assert policy.limit("resolve", kind="help") == Limit.days(7)
        assert policy.limit("resolve", "urgent", kind="help") == Limit.hours(4)
        # Kinds the file leaves out keep their default.
        assert policy.limit("resolve", kind="complaint") == Limit.days(13)

    def test_the_day_counting_is_a_policy_choice(self) -> None:
        policy = parse_policy('version = "v"\n[counting]\ndays = "office_hours"\n')
        assert policy.day_counting is Counting.OFFICE_HOURS
        policy = parse_policy('version = "v"\n[counting]\ndays = "next_day"\n')
        assert policy.day_counting is Counting.NEXT_DAY
        assert parse_policy('version = "v"\n').day_counting is Counting.NEXT_DAY

    def test_fractions_of_a_day_are_read(self) -> None:
        policy = parse_policy('version = "v"\n[limits.dispatch]\nnormal = "0.25d"\n')
        assert policy.limit("dispatch") == Limit.days(Fraction(1, 4))

    def test_the_version_is_required_so_no_two_policies_share_one(self) -> None:
        with pytest.raises(PolicyFileError, match="version: required"):
            parse_policy('[limits.resolve]\nnormal = "4d"\n', "p.toml")


class TestBadPolicyFiles:
    @pytest.mark.parametrize(
        ("text", "message"),
        [
            (
                'version = "v"\n[limits.resolve]\nnormal = "5 days"\n',
                "p.toml:3: limits.resolve.normal: '5 days' is not a limit like "
                "'5d', '0.5d', '2h' or '90m' (units 'd', 'h', 'm')",
            ),
            (
                'version = "v"\n[limits.resolve]\nnormal = "0d"\n',
                "p.toml:3: limits.resolve.normal: a limit must be positive, not 0d",
            ),
            (
                'version = "v"\n[limits]\nresolve = { urgent = "-1d" }\n',
                "p.toml:3: limits.resolve.urgent: a limit must be positive, not -1d",
            ),
            (
                'version = "v"\n[limits.resolve]\nnormal = 5\n',
                "p.toml:3: limits.resolve.normal: write the limit as text with a "
                'unit, like "5d"',
            ),
            (
                'version = "v"\n[limits.approve]\nnormal = "5d"\n',
                "p.toml:2: limits.approve: unknown stage; known: dispatch, accept, "
                "first_response, resolve, reply, evaluation, callback, rectify, close",
            ),
            (
                'version = "v"\n\n[limits.resolve]\nlow = "9d"\n',
                "p.toml:4: limits.resolve.low: unknown priority; known: normal, "
                "urgent, complex",
            ),
            (
                'version = "v"\n[categories.food.resolve]\nnormal = "5d"\n',
                "p.toml:2: categories.food: unknown category; known: financing, "
                "labour, land, permits, policy, tax, customs, utilities, ip, "
                "talent, environment, legal, other",
            ),
            (
                'version = "v"\n[categories.tax]\nresolve = "5d"\n',
                "p.toml:3: categories.tax.resolve: expected a table",
            ),
            (
                'version = "v"\nlimits = "5d"\n',
                "p.toml:2: limits: expected a table",
            ),
            (
                'version = "v"\nowner = "me"\n',
                "p.toml:2: owner: unknown key; expected version, counting, "
                "limits, categories, kinds, escalation, extensions, warning, callback, "
                "orders",
            ),
            (
                'version = "v"\n[limits.resolve]\nnormal = "5d"\nnormal = "4d"\n',
                "p.toml:4: not valid TOML: Cannot overwrite a value",
            ),
            ('version = ""\n', "p.toml:1: version: required: a non-empty string"),
            (
                'version = "v"\n[extensions]\nmax_count = -1\n',
                "p.toml:3: extensions.max_count: a whole number >= 0",
            ),
            (
                'version = "v"\n[extensions]\nmax_length = "soon"\n',
                "p.toml:3: extensions.max_length: 'soon' is not a limit like '5d', "
                "'0.5d', '2h' or '90m' (units 'd', 'h', 'm')",
            ),
            (
                'version = "v"\n[limits.accept]\nurgent = "1.5h"\n',
                "p.toml:3: limits.accept.urgent: only days may be fractional: "
                "write 1.5h in a smaller unit",
            ),
            (
                'version = "v"\n[kinds.gossip.resolve]\nnormal = "5d"\n',
                "p.toml:2: kinds.gossip: unknown kind; known: consult, help, "
                "complaint, suggestion, report, praise",
            ),
            (
                'version = "v"\n[kinds.consult.approve]\nnormal = "5d"\n',
                "p.toml:2: kinds.consult.approve: unknown stage; known: dispatch, "
                "accept, first_response, resolve, reply, evaluation, callback, "
                "rectify, close",
            ),
            (
                'version = "v"\n[kinds.consult.resolve]\nnormal = 3\n',
                "p.toml:3: kinds.consult.resolve.normal: write the limit as text "
                'with a unit, like "3d"',
            ),
            (
                'version = "v"\n[counting]\ndays = "calendar"\n',
                "p.toml:3: counting.days: unknown convention 'calendar'; known: "
                '"next_day", "office_hours"',
            ),
            (
                'version = "v"\n[counting]\nhours = "next_day"\n',
                "p.toml:3: counting.hours: unknown key; expected days (hours and "
                "minutes count office hours)",
            ),
            (
                'version = "v"\ncounting = "next_day"\n',
                "p.toml:2: counting: expected a table",
            ),
        ],
    )
    def test_are_refused_with_file_line_and_reason(
        self, text: str, message: str
    ) -> None:
        with pytest.raises(PolicyFileError) as refused:
            parse_policy(text, "p.toml")
        assert str(refused.value) == message
        assert refused.value.path == "p.toml"

    def test_a_missing_file_is_refused_with_its_path(self, tmp_path: Path) -> None:
        with pytest.raises(PolicyFileError, match=r"none\.toml: cannot read"):
            load_policy(tmp_path / "none.toml")
