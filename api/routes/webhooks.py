"""Webhook endpoints (`webhooks:manage`): subscribe, list, show, delete, rotate the secret, ping, delivery log.

Another partner's endpoint id answers 404, as if it did not exist.
"""

from __future__ import annotations

from litestar import Controller, Response, delete, get, post

from api.auth.access import Principal, requires
from api.auth.signing_keys import SigningKeyRing
from api.http.dependencies import Connection
from api.http.openapi import PARTNER_WEBHOOKS
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit, NumberedCursor
from api.schemas.common import Page
from api.schemas.webhooks import WebhookAttempt, WebhookEndpoint, WebhookEndpointCreate, WebhookEndpointWithSecret
from api.services import webhooks
from api.services.audit import Actor
from api.services.clock import Clock
from api.services.events import Event
from api.settings import Settings

SCOPE = "webhooks:manage"


class WebhookEndpointController(Controller):
    path = "/v1/webhook-endpoints"
    tags = [PARTNER_WEBHOOKS]

    @post(
        "/", operation_id="createWebhookEndpoint", summary="Subscribe an endpoint", status_code=201, **requires(SCOPE)
    )
    async def create(
        self,
        data: WebhookEndpointCreate,
        tx: Connection,
        actor: Actor,
        principal: Principal,
        signing_keys: SigningKeyRing,
        settings: Settings,
        clock: Clock,
    ) -> Response[WebhookEndpointWithSecret]:
        """Deliver events (`event_types`, or all when empty) to `url`, signed per Standard Webhooks. The
        `secret` (`whsec_…`) is in this response only. Production accepts only https URLs of public hosts;
        development and sandbox also accept http and private addresses (a laptop at http://127.0.0.1:…)."""
        partner_id = principal.require_partner()
        endpoint = await webhooks.create_endpoint(
            tx,
            actor,
            signing_keys.kek,
            partner_id,
            data,
            await clock.now(tx, partner_id),
            production=settings.is_production,
            allow_private=not settings.is_production,
        )
        return Response(endpoint, status_code=201, headers={"Location": f"{self.path}/{endpoint.id}"})

    @get("/", operation_id="listWebhookEndpoints", summary="List endpoints", **requires(SCOPE))
    async def index(
        self, conn: Connection, principal: Principal, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> Page[WebhookEndpoint]:
        """The partner's endpoints in creation order (never their secrets)."""
        return await webhooks.list_endpoints(conn, principal.require_partner(), limit, cursor)

    @get("/{endpoint_id:str}", operation_id="getWebhookEndpoint", summary="Show an endpoint", **requires(SCOPE))
    async def show(self, endpoint_id: str, conn: Connection, principal: Principal) -> WebhookEndpoint:
        """One endpoint; `status` is `failing` after a delivery failed for 24 hours, until one succeeds."""
        return await webhooks.get_endpoint(conn, principal.require_partner(), endpoint_id)

    @delete("/{endpoint_id:str}", operation_id="deleteWebhookEndpoint", summary="Delete an endpoint", **requires(SCOPE))
    async def remove(self, endpoint_id: str, tx: Connection, actor: Actor, principal: Principal) -> None:
        """Stop delivering to the endpoint; its pending deliveries and log go with it."""
        await webhooks.delete_endpoint(tx, actor, principal.require_partner(), endpoint_id)

    @post(
        "/{endpoint_id:str}/rotate-secret",
        operation_id="rotateWebhookSecret",
        summary="Rotate the signing secret",
        status_code=200,
        **requires(SCOPE),
    )
    async def rotate_secret(
        self,
        endpoint_id: str,
        tx: Connection,
        actor: Actor,
        principal: Principal,
        signing_keys: SigningKeyRing,
        settings: Settings,
        clock: Clock,
    ) -> WebhookEndpointWithSecret:
        """A new secret, in this response only. For 24 hours both secrets sign every delivery (two `v1,`
        signatures in `webhook-signature`), so the receiver can switch whenever it is ready."""
        partner_id = principal.require_partner()
        return await webhooks.rotate_secret(
            tx,
            actor,
            signing_keys.kek,
            partner_id,
            endpoint_id,
            settings.secret_rotation_grace_seconds,
            await clock.now(tx, partner_id),
        )

    @post(
        "/{endpoint_id:str}/test",
        operation_id="testWebhookEndpoint",
        summary="Send a ping",
        status_code=200,
        **requires(SCOPE),
    )
    async def test(self, endpoint_id: str, tx: Connection, principal: Principal, clock: Clock) -> Event:
        """Queue a `ping` event for this endpoint alone (the worker sends it within a second); answers the event,
        whose attempts then show in the delivery log. Pings do not appear in the feed."""
        partner_id = principal.require_partner()
        return await webhooks.send_ping(tx, partner_id, endpoint_id, await clock.now(tx, partner_id))

    @get(
        "/{endpoint_id:str}/deliveries",
        operation_id="listWebhookDeliveries",
        summary="Delivery log",
        **requires(SCOPE),
    )
    async def deliveries(
        self,
        endpoint_id: str,
        conn: Connection,
        principal: Principal,
        limit: Limit = DEFAULT_LIMIT,
        cursor: NumberedCursor = None,
    ) -> Page[WebhookAttempt]:
        """Delivery attempts, newest first: event, attempt number, time, status code, latency, error, and when
        the next attempt is due (null once delivered or given up)."""
        return await webhooks.list_attempts(conn, principal.require_partner(), endpoint_id, limit, cursor)
