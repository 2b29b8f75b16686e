"""Programme endpoints for partners and their OAuth clients (scope `programme:partners`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar import Controller, Response, get, post
from litestar.params import Parameter

from api.auth.access import RevocationList, requires
from api.auth.client_secrets import SecretHasher
from api.auth.signing_keys import SigningKeyRing
from api.http.dependencies import Connection
from api.http.openapi import PROGRAMME_PARTNERS
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit
from api.http.responses import created
from api.schemas.common import Page
from api.schemas.compatibility import IntegrationKeyCreate, IntegrationKeyIssued
from api.schemas.partners import Client, ClientCreate, ClientWithSecret, Partner, PartnerCreate, StatusChange
from api.services import clients, integration_keys, partners
from api.services.audit import Actor
from api.settings import Settings
from domain.errors import EnvironmentNotServed, InvalidStateTransition, PartnerSuspended

SCOPE = "programme:partners"


class PartnerController(Controller):
    path = "/v1/programme/partners"
    tags = [PROGRAMME_PARTNERS]

    @post("/", operation_id="createPartner", summary="Onboard a partner", **requires(SCOPE))
    async def create(self, data: PartnerCreate, tx: Connection, actor: Actor) -> Response[Partner]:
        """Create a partner (due diligence happened outside the API); it starts `active`, with no clients."""
        partner = await partners.create_partner(tx, actor, data)
        return created(partner, f"/v1/programme/partners/{partner.id}")

    @get("/", operation_id="listPartners", summary="List partners", **requires(SCOPE))
    async def index(self, conn: Connection, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[Partner]:
        """Partners in onboarding order, cursor-paginated."""
        return await partners.list_partners(conn, limit, cursor)

    @get("/{partner_id:str}", operation_id="getPartner", summary="Show a partner", **requires(SCOPE))
    async def show(self, partner_id: str, conn: Connection) -> Partner:
        """One partner with its status (a suspended partner's clients get no tokens)."""
        return await partners.get_partner(conn, partner_id)

    @post(
        "/{partner_id:str}/suspend",
        operation_id="suspendPartner",
        status_code=200,
        summary="Suspend",
        **requires(SCOPE, errors=[InvalidStateTransition]),
    )
    async def suspend(
        self,
        partner_id: str,
        tx: Connection,
        actor: Actor,
        revocations: RevocationList,
        data: StatusChange | None = None,
    ) -> Partner:
        """Suspend a partner: its tokens stop working (at once here, within seconds elsewhere), its clients get
        no new tokens, and its courses stop selling. Audited with the reason."""
        partner = await partners.change_status(tx, actor, partner_id, "suspend", data.reason if data else None)
        revocations.partner_suspended(partner_id)
        return partner

    @post(
        "/{partner_id:str}/reinstate",
        operation_id="reinstatePartner",
        status_code=200,
        summary="Reinstate",
        **requires(SCOPE, errors=[InvalidStateTransition]),
    )
    async def reinstate(
        self,
        partner_id: str,
        tx: Connection,
        actor: Actor,
        revocations: RevocationList,
        data: StatusChange | None = None,
    ) -> Partner:
        """Lift a suspension; existing clients can get tokens again."""
        partner = await partners.change_status(tx, actor, partner_id, "reinstate", data.reason if data else None)
        revocations.partner_reinstated(partner_id)
        return partner

    @post(
        "/{partner_id:str}/clients",
        operation_id="createClient",
        summary="Issue a client",
        **requires(SCOPE, errors=[PartnerSuspended, EnvironmentNotServed]),
    )
    async def create_client(
        self,
        partner_id: str,
        data: ClientCreate,
        tx: Connection,
        actor: Actor,
        hasher: SecretHasher,
        settings: Settings,
    ) -> Response[ClientWithSecret]:
        """A new OAuth client for the partner, with an environment and a subset of the partner scopes
        (never `programme:*`). The `client_secret` is in this response only; we keep just its hash."""
        client = await clients.create_client(tx, actor, hasher, partner_id, data, app_env=settings.app_env)
        return created(client, f"/v1/programme/clients/{client.client_id}")

    @post(
        "/{partner_id:str}/integration-keys",
        operation_id="issueIntegrationKey",
        summary="Issue or rotate a compatibility-layer key",
        status_code=200,
        **requires(SCOPE, errors=[PartnerSuspended, EnvironmentNotServed]),
    )
    async def issue_integration_key(
        self,
        partner_id: str,
        data: IntegrationKeyCreate,
        tx: Connection,
        actor: Actor,
        signing_keys: SigningKeyRing,
        settings: Settings,
    ) -> IntegrationKeyIssued:
        """The partner's `client_code` and a new `sign_key` for the incumbent's redeem-code API (the Compatibility
        endpoints), for one environment. The sign key is in this response only. Called again, it rotates: same
        client_code, new sign key, and the previous one keeps working until `previous_sign_key_expires_at`."""
        grace = timedelta(seconds=settings.secret_rotation_grace_seconds)
        return await integration_keys.issue(
            tx,
            actor,
            signing_keys.kek,
            partner_id,
            data.environment,
            app_env=settings.app_env,
            now=datetime.now(UTC),
            grace=grace,
        )


class ClientController(Controller):
    path = "/v1/programme/clients"
    tags = [PROGRAMME_PARTNERS]

    @get("/", operation_id="listClients", summary="List clients", **requires(SCOPE))
    async def index(
        self,
        conn: Connection,
        partner_id: str | None = Parameter(default=None, description="Only this partner's clients."),
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[Client]:
        """OAuth clients (never their secrets), optionally of one partner."""
        return await clients.list_clients(conn, partner_id, limit, cursor)

    @get("/{client_id:str}", operation_id="getClient", summary="Show a client", **requires(SCOPE))
    async def show(self, client_id: str, conn: Connection) -> Client:
        """One OAuth client (never its secret): status, scopes, environment, secret rotation grace."""
        return await clients.get_client(conn, client_id)

    @post(
        "/{client_id:str}/rotate-secret",
        operation_id="rotateClientSecret",
        status_code=200,
        summary="Rotate",
        **requires(SCOPE, errors=[InvalidStateTransition]),
    )
    async def rotate_secret(
        self, client_id: str, tx: Connection, actor: Actor, hasher: SecretHasher, settings: Settings
    ) -> ClientWithSecret:
        """A new secret, shown once. The previous one keeps working until `previous_secret_expires_at`
        (24 hours by default) so the partner can deploy the new one without downtime."""
        grace = timedelta(seconds=settings.secret_rotation_grace_seconds)
        return await clients.rotate_secret(tx, actor, hasher, client_id, now=datetime.now(UTC), grace=grace)

    @post(
        "/{client_id:str}/disable",
        operation_id="disableClient",
        status_code=200,
        summary="Disable",
        **requires(SCOPE, errors=[InvalidStateTransition]),
    )
    async def disable(
        self,
        client_id: str,
        tx: Connection,
        actor: Actor,
        revocations: RevocationList,
        data: StatusChange | None = None,
    ) -> Client:
        """Disable a client for good: no new tokens, and its existing tokens stop working within seconds."""
        client = await clients.disable_client(tx, actor, client_id, data.reason if data else None)
        revocations.client_disabled(client_id)
        return client
