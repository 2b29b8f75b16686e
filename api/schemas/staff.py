"""Staff login bodies: the portal presents a staff member's password and TOTP code, and gets a session token."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from api.schemas.common import RequestBody

StaffEmail = Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
OneTimeCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$", description="The 6-digit TOTP code.")]
SessionToken = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class StaffLogin(RequestBody):
    email: StaffEmail
    password: Password
    otp: OneTimeCode


class StaffMember(msgspec.Struct, kw_only=True):
    id: str
    email: str
    name: str
    role: str
    scopes: list[str]


class StaffSession(msgspec.Struct, kw_only=True):
    """A staff login: `session_token` is shown once and only the calling portal client may exchange it."""

    session_token: str
    expires_at: datetime
    staff: StaffMember


class StaffLogout(RequestBody):
    session_token: SessionToken
