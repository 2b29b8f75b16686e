"""Staff login bodies: the portal presents a staff member's password and TOTP code, and gets a session token."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeAlias

import msgspec

from api.schemas.common import RequestBody, described, literal_of
from domain.staff import Role

if TYPE_CHECKING:
    RoleName: TypeAlias = str
else:
    RoleName = literal_of(Role)

StaffEmail = Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
OneTimeCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$", description="The 6-digit TOTP code.")]
SessionToken = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


SESSION_TOKEN = described("The staff session token the portal exchanges for access tokens (RFC 8693).")


class StaffLogin(RequestBody):
    email: Annotated[StaffEmail, described("The staff member's e-mail address.")]
    password: Annotated[Password, described("The staff member's password.")]
    otp: OneTimeCode


class StaffMember(msgspec.Struct, kw_only=True):
    id: Annotated[str, described("The staff member's id (`stf_…`).")]
    email: Annotated[str, described("The staff member's e-mail address.")]
    name: Annotated[str, described("The staff member's name.")]
    role: Annotated[
        RoleName,
        described(
            "What they do: `curator`, `partner_manager`, `support`, `finance`, `auditor` (read-only) or `admin` "
            "(everything); it decides their scopes."
        ),
    ]
    scopes: Annotated[list[str], described("The programme scopes their role grants.")]


class StaffSession(msgspec.Struct, kw_only=True):
    """A staff login: `session_token` is shown once and only the calling portal client may exchange it."""

    session_token: Annotated[str, SESSION_TOKEN]
    expires_at: Annotated[datetime, described("When the session ends; log in again after. RFC 3339 in UTC.")]
    staff: Annotated[StaffMember, described("Who logged in.")]


class StaffLogout(RequestBody):
    session_token: Annotated[SessionToken, SESSION_TOKEN]
