"""The portal's small pure helpers: where a login may send the browser, and how money and times read."""

from __future__ import annotations

import pytest

from portal.app import moment, rupiah, safe_next


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/curation", "/curation"),
        ("/participants?q=PRK", "/participants?q=PRK"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_after_login_the_browser_stays_on_this_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_rupiah_uses_dots_between_thousands() -> None:
    assert rupiah(1_500_000) == "Rp 1.500.000"
    assert rupiah(-600_000) == "-Rp 600.000"
    assert rupiah(0) == "Rp 0"


def test_times_read_in_jakarta() -> None:
    assert moment("2026-12-01T01:30:00Z") == "2026-12-01 08:30 WIB"
    assert moment("not a time") == "not a time"
