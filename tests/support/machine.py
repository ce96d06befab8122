"""What a test needs from the machine beyond Python (a browser, nginx)."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing(message: str) -> NoReturn:
    """Skips the test for want of ``message``'s tool; under ``CI=true`` fails
    it instead, since there a skip would hide a check that never ran
    (scripts/setup --dev installs every such tool when run as root)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)
