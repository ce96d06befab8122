"""Who may issue which command (the permission matrix in the README).

Scopes: a handler acts only on appeals assigned to its own unit (DOMAIN.md);
an enterprise acts only on its own appeals (matched by credit code). The
administrator may do everything; the auditor reads and changes nothing.
"""

from __future__ import annotations

from appeals.domain.errors import NotPermitted
from appeals.domain.values import Actor, Role

INTAKE, DISPATCH, HANDLER, SUPERVISOR, ENTERPRISE, SYSTEM = (
    Role.INTAKE,
    Role.DISPATCHER,
    Role.HANDLER,
    Role.SUPERVISOR,
    Role.ENTERPRISE,
    Role.SYSTEM,
)

COMMAND_ROLES: dict[str, frozenset[Role]] = {
    "receive": frozenset({INTAKE}),
    "assign": frozenset({DISPATCH, SUPERVISOR}),
    "accept": frozenset({HANDLER}),
    "return": frozenset({HANDLER}),
    "note_progress": frozenset({HANDLER, SUPERVISOR}),
    "pause": frozenset({HANDLER}),
    "resume": frozenset({HANDLER}),
    "request_extension": frozenset({HANDLER}),
    "decide_extension": frozenset({DISPATCH, SUPERVISOR}),
    "supervise": frozenset({SUPERVISOR, SYSTEM}),
    "resolve": frozenset({HANDLER}),
    "reply": frozenset({HANDLER, INTAKE}),
    "evaluate": frozenset({ENTERPRISE, INTAKE}),
    "reopen": frozenset({SUPERVISOR, SYSTEM}),
    "close": frozenset({INTAKE, DISPATCH, SUPERVISOR, SYSTEM}),
    "withdraw": frozenset({ENTERPRISE, INTAKE}),
    "merge": frozenset({DISPATCH, SUPERVISOR}),
    "escalate": frozenset({SYSTEM}),
    "lapse_evaluation": frozenset({SYSTEM}),
}
"""Command name -> roles allowed besides the administrator."""

READ_ROLES = frozenset(Role) - {Role.SYSTEM}


def roles_for(command: str) -> frozenset[Role]:
    """All roles that may issue ``command``, the administrator included."""
    return COMMAND_ROLES[command] | {Role.ADMIN}


def authorize(
    command: str, actor: Actor, *, unit: str | None, uscc: str | None
) -> None:
    """Raises :class:`NotPermitted` unless ``actor`` may issue ``command`` on an
    appeal currently assigned to ``unit`` and raised by ``uscc``."""
    if actor.role not in roles_for(command):
        allowed = ", ".join(sorted(r.value for r in roles_for(command)))
        raise NotPermitted(command, actor.role, f"only {allowed} may")
    if actor.role is Role.HANDLER and actor.unit != unit:
        raise NotPermitted(
            command,
            actor.role,
            f"the appeal is assigned to {unit or 'no unit'}, not to {actor.unit}",
        )
    if actor.role is Role.ENTERPRISE and actor.uscc != uscc:
        raise NotPermitted(command, actor.role, "the appeal is another enterprise's")


def may_read(actor: Actor, *, unit: str | None, uscc: str | None) -> bool:
    """Handlers read their unit's appeals; enterprises their own; others all."""
    if actor.role is Role.HANDLER:
        return actor.unit == unit
    if actor.role is Role.ENTERPRISE:
        return actor.uscc == uscc
    return actor.role in READ_ROLES
