"""Staff login and logout for the internal portal; the portal then acts for the person via the token exchange."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, post

from api.auth.access import Principal, requires
from api.auth.client_secrets import SecretHasher
from api.auth.signing_keys import SigningKeyRing
from api.http.dependencies import Connection
from api.http.errors import ApiError
from api.http.openapi import PROGRAMME_STAFF
from api.schemas.staff import StaffLogin, StaffLogout, StaffSession
from api.services import staff
from api.services.audit import Actor


def _portal_client(principal: Principal) -> str:
    """Only a programme client acting for nobody logs staff in (a partner's token: the route does not exist)."""
    if principal.partner_id is not None:
        raise ApiError(404, "not_found", "No such resource.")
    if principal.staff_id is not None:
        raise ApiError(403, "insufficient_scope", "A token acting for a staff member cannot log staff in.")
    return principal.client_id


class StaffSessionController(Controller):
    path = "/v1/programme/staff/sessions"
    tags = [PROGRAMME_STAFF]

    @post("/", operation_id="logInStaff", summary="Log a staff member in", status_code=201, **requires())
    async def log_in(
        self,
        data: StaffLogin,
        conn: Connection,
        principal: Principal,
        actor: Actor,
        hasher: SecretHasher,
        signing_keys: SigningKeyRing,
    ) -> StaffSession:
        """Check a staff member's password and TOTP code for the calling portal client (a programme client).

        Returns a session token that only this client can exchange at `/oauth/token` (grant type
        `urn:ietf:params:oauth:grant-type:token-exchange`, `subject_token_type`
        `urn:prakerja:params:oauth:token-type:staff-session`) for access tokens acting for the person, with the
        role's scopes. Wrong credentials are 401 `invalid_staff_credentials`; the fifth failure in a row locks
        the account for 15 minutes (423 `staff_locked` with `Retry-After`).
        """
        client_id = _portal_client(principal)
        return await staff.log_in(conn, actor, hasher, signing_keys.kek, client_id, data, datetime.now(UTC))

    @post("/revoke", operation_id="logOutStaff", summary="End a staff session", status_code=204, **requires())
    async def log_out(self, data: StaffLogout, tx: Connection, principal: Principal, actor: Actor) -> None:
        """End a staff session of the calling portal client; its access tokens expire within five minutes."""
        await staff.log_out(tx, actor, _portal_client(principal), data.session_token)
