"""The enterprise's side of the conversation (政企互动): comments, materials
supplied for a paused appeal, urging (企业催办), and attachments.

Each is an event with its actor, so who wrote, supplied or urged, and when,
is in the appeal's chain. What the enterprise may read of officials' text is
decided in appeals.domain.disclosure.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from appeals.domain import events
from appeals.domain.commands import (
    AddAttachment,
    Comment,
    Rules,
    SupplyMaterials,
    Urge,
)
from appeals.domain.errors import InvalidField
from appeals.domain.guards import AppealState
from appeals.domain.values import Actor, Role, Status, text

SHA256 = re.compile(r"[0-9a-f]{64}")

URGE_STATUSES = (Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS)
"""An enterprise urges while its appeal is being dispatched or handled."""


class Interaction(AppealState):
    """Comments, supplied materials, urging and attachments of
    :class:`appeals.domain.appeal.Appeal`."""

    if TYPE_CHECKING:
        urge_count: int
        attachments: list[str]

        def _resumption(self, at: datetime, rules: Rules) -> dict[str, Any]: ...

    else:
        # Defaults for appeals snapshotted before these were kept.
        urge_count = 0
        attachments = ()

    def comment(
        self, command: Comment, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """留言 on an open appeal. The enterprise's own words are always
        public; an official may mark a comment internal."""
        body = text(command.text, "text")
        self.check_permitted("comment", actor)
        self.check_is_open("comment")
        public = True if actor.role is Role.ENTERPRISE else command.public
        self._record(events.Commented, actor, at, text=body, public=public)

    def supply_materials(
        self, command: SupplyMaterials, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """补充材料: what the handler paused for arrives; the clock resumes at
        once, recorded as the supplier's own ``Resumed``."""
        note = text(command.note, "note")
        supplied = tuple(command.attachments)
        for sha in supplied:
            if sha not in self.attachments:
                raise InvalidField(
                    "attachments",
                    f"'{sha}' 不是本诉求的附件，请先上传 "
                    "(is not an attachment of this appeal: upload it first)",
                )
        self.check_permitted("supply_materials", actor)
        self.check_status("supply_materials", Status.IN_PROGRESS)
        self.check_is_paused("supply_materials")
        self._record(
            events.MaterialsSupplied, actor, at, note=note, attachments=list(supplied)
        )
        self._record(
            events.Resumed, actor, at, note=note, **self._resumption(at, rules)
        )

    def urge(self, command: Urge, actor: Actor, at: datetime, rules: Rules) -> None:
        """企业催办 while the appeal is being dispatched or handled."""
        note = text(command.note, "note", required=False)
        self.check_permitted("urge", actor)
        self.check_status("urge", *URGE_STATUSES)
        self._record(events.Urged, actor, at, note=note, unit=self.unit)

    def add_attachment(
        self, command: AddAttachment, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """A file on an open appeal. The enterprise's are public; an
        official's are internal unless marked public."""
        if not SHA256.fullmatch(command.sha256):
            raise InvalidField("sha256", "must be 64 lower-case hex digits")
        name = text(command.filename, "filename")
        self.check_permitted("add_attachment", actor)
        self.check_is_open("add_attachment")
        public = True if actor.role is Role.ENTERPRISE else bool(command.public)
        self._record(
            events.AttachmentAdded,
            actor,
            at,
            sha256=command.sha256,
            size=command.size,
            media_type=command.media_type,
            name=name,
            purpose=command.purpose.value,
            public=public,
        )
