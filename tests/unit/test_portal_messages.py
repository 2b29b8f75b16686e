"""The portal's one message catalogue covers every key its pages use, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

from portal.app import REPORT_MONEY_ROWS, REPORT_VOUCHER_ROWS, STATEMENT_STATUSES
from portal.messages import MESSAGES, translate

PORTAL = Path(__file__).resolve().parents[2] / "portal"
KEY = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']\s*\)""")


def test_every_message_a_page_uses_exists_in_both_languages() -> None:
    used = set()
    for path in [*PORTAL.glob("templates/*.html"), *PORTAL.glob("*.py")]:
        used.update(KEY.findall(path.read_text(encoding="utf-8")))
    app_source = (PORTAL / "app.py").read_text(encoding="utf-8")
    used.update(re.findall(r"\"((?:login|error)\.[a-z_]+)(?<!\.html)\"", app_source))
    assert used, "the pattern found no message keys"
    missing = sorted(k for k in used if k not in MESSAGES)
    assert missing == []
    for key, (indonesian, english) in MESSAGES.items():
        assert indonesian.strip(), key
        assert english.strip(), key


def test_indonesian_is_the_default() -> None:
    assert translate("login.title", "id") == "Masuk"
    assert translate("login.title", "en") == "Log in"
    assert translate("login.title", "fr") == "Masuk"


def test_the_keys_pages_build_from_api_values_exist() -> None:
    """Templates compose some keys (`"status." ~ s.status`): each value the API can send has its message."""
    composed = [f"status.{s}" for s in STATEMENT_STATUSES]
    composed += [f"report.{name}" for name in (*REPORT_VOUCHER_ROWS, *REPORT_MONEY_ROWS)]
    composed += ["finance.closed", "finance.paid"]
    assert [k for k in composed if k not in MESSAGES] == []
