"""The portal's small pure helpers: where a login may send the browser, and how money and times read."""

from __future__ import annotations

import pytest

from portal.app import jakarta_day_start, moment, rupiah, safe_next


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


def test_a_form_date_is_the_start_of_that_day_in_jakarta() -> None:
    assert jakarta_day_start("2026-11-01") is not None
    assert str(jakarta_day_start("2026-11-01")) == "2026-11-01 00:00:00+07:00"
    # A range's last day is included: its end is the start of the next day (across a month's end too).
    assert str(jakarta_day_start("2026-11-30", days_after=1)) == "2026-12-01 00:00:00+07:00"
    assert jakarta_day_start("2026-02-30") is None
    assert jakarta_day_start("") is None
    assert jakarta_day_start(None) is None
