"""``appeals tokens``: create, list and revoke API tokens."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from appeals.cli.environment import open_ledger

if TYPE_CHECKING:
    from appeals.application.service import AppealLedger
    from appeals.infra.tokens import TokenStore


def add_commands(commands: Any) -> None:
    tokens = commands.add_parser("tokens", help="manage API tokens")
    actions = tokens.add_subparsers(required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a token and print it once")
    create.add_argument(
        "--role",
        required=True,
        help="intake, dispatcher, handler, supervisor, auditor, enterprise or admin",
    )
    create.add_argument("--name", required=True, help="who or what uses it")
    create.add_argument("--unit", help="the unit of a handler token")
    create.add_argument("--uscc", help="the credit code of an enterprise token")
    create.add_argument(
        "--expires",
        type=days,
        default=None,
        help="stop accepting it after this many days, like 90d (default: never)",
    )
    create.set_defaults(run=run_tokens_create)
    listing = actions.add_parser("list", help="list tokens (never secrets)")
    listing.set_defaults(run=run_tokens_list)
    revoke = actions.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("token_id")
    revoke.set_defaults(run=run_tokens_revoke)


@contextmanager
def token_store() -> Iterator[tuple[AppealLedger, TokenStore]]:
    from appeals.infra.tokens import TokenStore

    with open_ledger() as ledger:
        yield ledger, TokenStore(ledger.database)


def run_tokens_create(args: argparse.Namespace) -> int:
    from appeals.infra.tokens import TokenError

    with token_store() as (ledger, store):
        refusal = unit_refusal(ledger, args.role, args.unit)
        if refusal is not None:
            print(f"appeals tokens: {refusal}", file=sys.stderr)
            return 2
        try:
            token, info = store.create(
                role=args.role,
                name=args.name,
                unit=args.unit,
                uscc=args.uscc,
                now=ledger.clock.now(),
                expires_at=None
                if args.expires is None
                else ledger.clock.now() + args.expires,
            )
        except TokenError as error:
            print(f"appeals tokens: {error}", file=sys.stderr)
            return 2
    print(token)
    print(
        f"created {info.id} ({info.role.value}) for {info.name}; "
        "this is the only time the token is shown",
        file=sys.stderr,
    )
    return 0


def unit_refusal(ledger: AppealLedger, role: str, unit: str | None) -> str | None:
    """Why a handler token may not be bound to ``unit``: it must be the code
    of a registered unit in service (``GET /units``), not a name."""
    from difflib import get_close_matches

    from appeals.application.registry import Registry

    if role != "handler" or not unit:
        return None  # the token store names what else is missing
    registry = Registry(ledger)
    if registry.unit_exists(unit):
        return None
    known = registry.unit(unit)
    if known is not None:
        return f"单位已撤销 unit {unit!r} is retired"
    close = get_close_matches(unit, registry.codes("unit"), n=3, cutoff=0.5)
    hint = f"; 是否为 did you mean {', '.join(close)}?" if close else ""
    return (
        f"未登记的单位 no registered unit {unit!r} (a unit code, see GET /units){hint}"
    )


LIST_HEADER = ("id", "role", "scope", "name", "created_at", "state", "last_used")


def run_tokens_list(args: argparse.Namespace) -> int:
    with token_store() as (ledger, store):
        now = ledger.clock.now()
        print("\t".join(LIST_HEADER))
        for info in store.list():
            scope = info.unit or info.uscc or ""
            if info.revoked_at:
                state = f"revoked {info.revoked_at}"
            elif info.expired(now):
                state = f"expired {info.expires_at}"
            elif info.expires_at:
                state = f"active until {info.expires_at}"
            else:
                state = "active"
            print(
                f"{info.id}\t{info.role.value}\t{scope}\t{info.name}\t"
                f"{info.created_at}\t{state}\t{info.last_used_at or 'never'}"
            )
    return 0


def days(raw: str) -> timedelta:
    """``90d``: a number of days (1 to 3660)."""
    number = raw.removesuffix("d")
    if not number.isdigit() or not 1 <= int(number) <= 3660:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a number of days like 90d")
    return timedelta(days=int(number))


def run_tokens_revoke(args: argparse.Namespace) -> int:
    from appeals.infra.tokens import TokenError

    with token_store() as (ledger, store):
        try:
            info = store.revoke(args.token_id, ledger.clock.now())
        except TokenError as error:
            print(f"appeals tokens: {error}", file=sys.stderr)
            return 2
    print(f"revoked {info.id} ({info.name})", file=sys.stderr)
    return 0
