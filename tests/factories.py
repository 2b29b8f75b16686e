"""Valid request bodies to start from; tests override the one field they are about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any


def course_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Digital Marketing untuk UMKM",
        "description": "Belajar pemasaran digital: media sosial, iklan berbayar, dan analitik untuk usaha kecil.",
        "category": "marketing",
        "format": "self_paced",
        "hours": 15,
        "price": 1_500_000,
        "public_price": 2_000_000,
        "competencies": ["pemasaran digital", "media sosial"],
        "language": "id",
        "modules": 5,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def scheduled_course_body(course_format: str = "webinar", **overrides: Any) -> dict[str, Any]:
    return course_body(format=course_format, modules=None, **overrides)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def schedule_body(
    start: datetime | None = None,
    *,
    days: int = 5,
    hours_per_day: int = 3,
    capacity: int = 30,
    meeting_url: str | None = "https://meet.example.com/kelas",
    location: str | None = None,
) -> dict[str, Any]:
    """`days` daily sessions of `hours_per_day` hours, starting `start` (default: 3 days from now, 02:00 UTC)."""
    first = start or (datetime.now(UTC) + timedelta(days=3)).replace(hour=2, minute=0, second=0, microsecond=0)
    sessions = [
        {
            "sequence": n + 1,
            "starts_at": iso(first + timedelta(days=n)),
            "ends_at": iso(first + timedelta(days=n, hours=hours_per_day)),
        }
        for n in range(days)
    ]
    body: dict[str, Any] = {
        "starts_at": iso(first),
        "ends_at": iso(first + timedelta(days=days - 1, hours=hours_per_day)),
        "capacity": capacity,
        "sessions": sessions,
    }
    if meeting_url:
        body["meeting_url"] = meeting_url
    if location:
        body["location"] = location
    return body


def participant_body(**overrides: Any) -> dict[str, Any]:
    """A participant accepted an hour ago, with a fresh programme number and NIK."""
    import secrets

    body: dict[str, Any] = {
        "programme_number": f"PRK-{secrets.token_hex(5).upper()}",
        "nik": "".join(str(secrets.randbelow(10)) for _ in range(16)),
        "name": "Siti Nurhaliza Putri",
        "email": "siti.nurhaliza@example.id",
        "phone": "+6281234567890",
        "scheme": "2024",
        "accepted_at": iso(datetime.now(UTC) - timedelta(hours=1)),
    }
    body.update(overrides)
    return body
