"""The portal's only way to programme data: the API over HTTP, as the portal client acting for a staff member."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from portal.sessions import PortalSession, SessionStore

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
STAFF_SESSION_TOKEN_TYPE = "urn:prakerja:params:oauth:token-type:staff-session"
REFRESH_MARGIN = timedelta(seconds=30)


class ApiRefused(Exception):
    """The API answered with an error; `code` is its stable problem code."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.code = str(body.get("code") or body.get("error") or "error")
        self.detail = str(body.get("detail") or body.get("error_description") or "")
        self.body = body
        super().__init__(f"{status} {self.code}: {self.detail}")


class SessionEnded(Exception):
    """The API no longer honours this staff session (logged out elsewhere, expired, staff disabled)."""


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        decoded = response.json()
    except ValueError:
        return {"detail": response.text[:200]}
    return decoded if isinstance(decoded, dict) else {"items": decoded}


@dataclass
class PortalApi:
    """Calls to the API: staff login/logout with the portal client's own token, everything else as the staff."""

    http: httpx.AsyncClient
    client_id: str
    client_secret: str
    _client_token: str | None = None
    _client_token_expires: float = 0.0

    async def _portal_token(self) -> str:
        # A cache of the portal client's own token (it only logs staff in and out); losing it costs one request.
        if self._client_token is None or time.monotonic() > self._client_token_expires:
            response = await self.http.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, auth=(self.client_id, self.client_secret)
            )
            if response.status_code != 200:
                raise ApiRefused(response.status_code, _body(response))
            body = response.json()
            self._client_token = str(body["access_token"])
            self._client_token_expires = time.monotonic() + int(body["expires_in"]) - 30
        return self._client_token

    async def log_in(self, email: str, password: str, otp: str) -> dict[str, Any]:
        response = await self.http.post(
            "/v1/programme/staff/sessions",
            json={"email": email, "password": password, "otp": otp},
            headers={"Authorization": f"Bearer {await self._portal_token()}"},
        )
        if response.status_code != 201:
            raise ApiRefused(response.status_code, _body(response))
        return _body(response)

    async def log_out(self, session_token: str, access_token: str | None) -> None:
        await self.http.post(
            "/v1/programme/staff/sessions/revoke",
            json={"session_token": session_token},
            headers={"Authorization": f"Bearer {await self._portal_token()}"},
        )
        if access_token is not None:
            await self.http.post(
                "/oauth/revoke", data={"token": access_token}, auth=(self.client_id, self.client_secret)
            )

    async def exchange(self, session_token: str) -> tuple[str, int]:
        response = await self.http.post(
            "/oauth/token",
            data={
                "grant_type": TOKEN_EXCHANGE,
                "subject_token": session_token,
                "subject_token_type": STAFF_SESSION_TOKEN_TYPE,
            },
            auth=(self.client_id, self.client_secret),
        )
        if response.status_code == 400 and _body(response).get("error") == "invalid_grant":
            raise SessionEnded
        if response.status_code != 200:
            raise ApiRefused(response.status_code, _body(response))
        body = response.json()
        return str(body["access_token"]), int(body["expires_in"])


@dataclass
class StaffApi:
    """The API as one logged-in staff member: every call carries a token acting for them."""

    api: PortalApi
    store: SessionStore
    session: PortalSession

    async def _token(self, *, fresh: bool = False) -> str:
        now = datetime.now(UTC)
        current, expires = self.session.access_token, self.session.access_expires_at
        if not fresh and current is not None and expires is not None and expires - REFRESH_MARGIN > now:
            return current
        try:
            token, expires_in = await self.api.exchange(self.session.api_session_token)
        except SessionEnded:
            await self.store.delete(self.session)
            raise
        expires_at = now + timedelta(seconds=expires_in)
        await self.store.save_access_token(self.session, token, expires_at)
        self.session = PortalSession(
            self.session.digest, self.session.staff, self.session.api_session_token, token, expires_at
        )
        return token

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """The API's answer (ApiRefused for any error status), with one retry on a fresh token after a 401."""
        response = None
        for attempt in range(2):
            token = await self._token(fresh=attempt > 0)
            response = await self.api.http.request(
                method,
                path,
                json=json,
                params=params,
                headers={**(headers or {}), "Authorization": f"Bearer {token}"},
            )
            if response.status_code != 401:
                break
        assert response is not None
        if response.status_code >= 400:
            raise ApiRefused(response.status_code, _body(response))
        return response

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """The decoded JSON answer (None for 204); ApiRefused for any error status."""
        response = await self._send(method, path, json=json, params=params, headers=headers)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def download(self, path: str, params: dict[str, str] | None = None, accept: str = "text/csv") -> str:
        """A non-JSON answer (e.g. a CSV file) as text; ApiRefused for any error status."""
        response = await self._send("GET", path, params=params, headers={"Accept": accept})
        return response.text

    async def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return await self.request("POST", path, json=body, headers=headers)
