"""The crash dialog's texts (gui/runtime/errors.crash_report): the details are the exception's own traceback
as the log has it (or the handler's text, formatted once), and no traceback is taken apart from the
exception (the handler passes its formatted text; a separate `tb` had no caller)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, cast

import pytest

from gui.runtime.errors import crash_report


def _raised() -> BaseException:
    try:
        raise ZeroDivisionError("secret value 42")
    except ZeroDivisionError as exc:
        return exc


def test_details_are_the_exceptions_own_traceback_without_its_message(tmp_path: Path) -> None:
    exc = _raised()
    report = crash_report(exc, tmp_path / "warden.log")
    assert "_raised" in report.details and "ZeroDivisionError" in report.details
    assert "secret value 42" not in report.text + report.informative
    assert crash_report(exc, tmp_path / "warden.log", details="as logged").details == "as logged"


def test_no_separate_traceback_is_taken(tmp_path: Path) -> None:
    assert "tb" not in inspect.signature(crash_report).parameters
    with pytest.raises(TypeError):
        cast(Any, crash_report)(_raised(), tmp_path / "warden.log", None)
