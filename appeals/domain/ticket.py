"""Ticket numbers (工单号): what a hotline operator reads out on the phone.

``YYYYMMDD-NNNNNN``: the receipt date in Asia/Shanghai and a sequence number
within that day, allocated by the infrastructure.
"""

from __future__ import annotations

import re
from datetime import date

from appeals.domain.errors import InvalidField

TICKET_PATTERN = re.compile(r"^(\d{8})-(\d{6,})$")


def format_ticket(day: date, sequence: int) -> str:
    if sequence < 1:
        raise ValueError("ticket sequence numbers start at 1")
    return f"{day:%Y%m%d}-{sequence:06d}"


def parse_ticket(value: str, field: str = "ticket") -> str:
    """The ticket number, stripped, or :class:`InvalidField`."""
    ticket = value.strip()
    if not TICKET_PATTERN.match(ticket):
        raise InvalidField(field, "must look like 20261121-000123")
    return ticket
