"""All SQL about webhook endpoints, the event outbox and deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Label, RowMapping, and_, bindparam, insert, or_, select, update

from clawvault.db.conn import Conn
from clawvault.db.models import (
    ApiKey,
    Card,
    CardStatus,
    Pack,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
)

DELIVERY_COLUMNS = (
    WebhookDelivery.id,
    WebhookDelivery.event_id,
    WebhookDelivery.endpoint_id,
    WebhookDelivery.status,
    WebhookDelivery.attempts,
    WebhookDelivery.next_attempt_at,
    WebhookDelivery.last_status_code,
    WebhookDelivery.last_error,
    WebhookDelivery.last_attempt_at,
    WebhookDelivery.delivered_at,
    WebhookDelivery.created_at,
    WebhookEvent.type.label("event_type"),
)

# Built once: every pull and sellback looks up the partner's endpoints (the outbox).
LIVE_ENDPOINTS = (
    select(WebhookEndpoint.__table__)
    .where(
        WebhookEndpoint.partner_id == bindparam("partner_id"),
        WebhookEndpoint.environment == bindparam("environment"),
        WebhookEndpoint.deleted_at.is_(None),
    )
    .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
)


# Whether the partner has a live endpoint in the environment, as a column a write's first
# statement can carry (parameters endpoint_partner_id, endpoint_environment): with none, the
# outbox needs no statement of its own.
def endpoint_exists(partner_id: Any, environment: Any) -> Label[bool]:
    """Whether the partner has a live webhook endpoint in the environment, as a column
    `has_endpoints` (of parameters, or of another statement's columns)."""
    return (
        select(WebhookEndpoint.id)
        .where(
            WebhookEndpoint.partner_id == partner_id,
            WebhookEndpoint.environment == environment,
            WebhookEndpoint.deleted_at.is_(None),
        )
        .correlate_except(WebhookEndpoint)  # to columns of any enclosing statement
        .exists()
        .label("has_endpoints")
    )


ENDPOINT_EXISTS = endpoint_exists(
    bindparam("endpoint_partner_id"), bindparam("endpoint_environment")
)
ADD_EVENT = insert(WebhookEvent.__table__)  # type: ignore[arg-type]
ADD_DELIVERIES = insert(WebhookDelivery.__table__)  # type: ignore[arg-type]


class WebhookRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def add_endpoint(self, values: dict[str, Any]) -> None:
        await self.conn.execute(insert(WebhookEndpoint).values(values))

    async def endpoints(self, partner_id: int, environment: str) -> Sequence[RowMapping]:
        params = {"partner_id": partner_id, "environment": environment}
        return (await self.conn.execute(LIVE_ENDPOINTS, params)).mappings().all()

    async def endpoint(
        self, endpoint_id: str, partner_id: int | None = None, environment: str | None = None
    ) -> RowMapping | None:
        query = select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id, WebhookEndpoint.deleted_at.is_(None)
        )
        if partner_id is not None:
            query = query.where(WebhookEndpoint.partner_id == partner_id)
        if environment is not None:
            query = query.where(WebhookEndpoint.environment == environment)
        return (await self.conn.execute(query)).mappings().first()

    async def delete_endpoint(self, endpoint_id: str, now: datetime) -> None:
        await self.conn.execute(
            update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).values(deleted_at=now)
        )
        # Nothing more goes to a deleted endpoint.
        await self.conn.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.endpoint_id == endpoint_id,
                WebhookDelivery.status == WebhookDeliveryStatus.PENDING.value,
            )
            .values(status=WebhookDeliveryStatus.FAILED.value, last_error="endpoint deleted")
        )

    async def add_event(self, values: dict[str, Any]) -> bool:
        """False when an event with the same dedupe key exists already."""
        if values.get("dedupe_key") is not None:
            exists = await self.conn.execute(
                select(WebhookEvent.id).where(WebhookEvent.dedupe_key == values["dedupe_key"])
            )
            if exists.first() is not None:
                return False
        await self.conn.execute(ADD_EVENT, values)
        return True

    async def event(self, event_id: str) -> RowMapping | None:
        query = select(WebhookEvent).where(WebhookEvent.id == event_id)
        return (await self.conn.execute(query)).mappings().first()

    async def add_deliveries(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.conn.execute(ADD_DELIVERIES, rows)

    async def deliveries(
        self,
        partner_id: int,
        environment: str,
        limit: int,
        after: tuple[datetime, str] | None,
        event_id: str | None,
    ) -> Sequence[RowMapping]:
        query = (
            select(*DELIVERY_COLUMNS)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .where(
                WebhookDelivery.partner_id == partner_id, WebhookEvent.environment == environment
            )
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
            .limit(limit)
        )
        if event_id is not None:
            query = query.where(WebhookDelivery.event_id == event_id)
        if after is not None:
            created_at, delivery_id = after
            query = query.where(
                or_(
                    WebhookDelivery.created_at < created_at,
                    and_(
                        WebhookDelivery.created_at == created_at,
                        WebhookDelivery.id > delivery_id,
                    ),
                )
            )
        return (await self.conn.execute(query)).mappings().all()

    async def delivery(self, delivery_id: str, partner_id: int) -> RowMapping | None:
        query = (
            select(*DELIVERY_COLUMNS, WebhookEvent.environment)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.partner_id == partner_id)
        )
        return (await self.conn.execute(query)).mappings().first()

    # The delivery worker.

    def _due(self, now: datetime) -> Any:
        return and_(
            WebhookDelivery.status == WebhookDeliveryStatus.PENDING.value,
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
        )

    async def claim_due(self, now: datetime, until: datetime, token: str, limit: int) -> list[str]:
        """Claims up to `limit` due deliveries for this worker: no two workers get the same one
        (row locks skipped on PostgreSQL; a conditional update each on SQLite)."""
        candidates = (
            select(WebhookDelivery.id)
            .where(self._due(now))
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        )
        if self.conn.dialect.name == "postgresql":
            result = await self.conn.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id.in_(
                        candidates.with_for_update(skip_locked=True).scalar_subquery()
                    )
                )
                .values(claimed_until=until, claim_token=token)
                .returning(WebhookDelivery.id)
            )
            return [row[0] for row in result]
        claimed: list[str] = []
        for (delivery_id,) in (await self.conn.execute(candidates)).all():
            result = await self.conn.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, self._due(now))
                .values(claimed_until=until, claim_token=token)
            )
            if result.rowcount == 1:
                claimed.append(delivery_id)
        return claimed

    async def claimed_work(self, delivery_ids: list[str]) -> Sequence[RowMapping]:
        query = (
            select(
                WebhookDelivery.id,
                WebhookDelivery.attempts,
                WebhookDelivery.claim_token,
                WebhookEvent.id.label("event_id"),
                WebhookEvent.type.label("event_type"),
                WebhookEvent.payload,
                WebhookEndpoint.url,
                WebhookEndpoint.secret,
            )
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.id.in_(delivery_ids))
        )
        return (await self.conn.execute(query)).mappings().all()

    async def record_attempt(self, delivery_id: str, token: str, values: dict[str, Any]) -> bool:
        result = await self.conn.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.claim_token == token)
            .values(claimed_until=None, claim_token=None, **values)
        )
        return result.rowcount == 1

    async def sandbox_keys_with_endpoints(self) -> dict[int, int]:
        """Live sandbox keys (id -> partner id) whose partner has a sandbox endpoint."""
        has_endpoint = select(WebhookEndpoint.id).where(
            WebhookEndpoint.partner_id == ApiKey.partner_id,
            WebhookEndpoint.environment == "sandbox",
            WebhookEndpoint.deleted_at.is_(None),
        )
        query = select(ApiKey.id, ApiKey.partner_id).where(
            ApiKey.environment == "sandbox", ApiKey.revoked_at.is_(None), has_endpoint.exists()
        )
        return {row.id: row.partner_id for row in await self.conn.execute(query)}

    async def announced(self, dedupe_keys: list[str]) -> set[str]:
        """Which of these once-per-subject events are in the outbox already."""
        if not dedupe_keys:
            return set()
        query = select(WebhookEvent.dedupe_key).where(WebhookEvent.dedupe_key.in_(dedupe_keys))
        return {str(k) for k in (await self.conn.execute(query)).scalars()}

    async def expiring_holdings(
        self, now: datetime, horizon: datetime, limit: int
    ) -> Sequence[RowMapping]:
        """Held cards whose sellback window closes within the horizon and that have not been
        announced yet."""
        announced = select(WebhookEvent.id).where(
            WebhookEvent.dedupe_key == ("buyback.expiring:" + Card.id + ":" + Card.session_id)
        )
        has_endpoint = select(WebhookEndpoint.id).where(
            WebhookEndpoint.partner_id == Card.owner_partner_id,
            WebhookEndpoint.environment == "production",
            WebhookEndpoint.deleted_at.is_(None),
        )
        query = (
            select(
                Card.id,
                Card.session_id,
                Card.owner_partner_id,
                Card.owner_user_id,
                Card.pack_id,
                Card.fmv_cents,
                Card.buyback_expires_at,
                Pack.buyback_bps,
            )
            .join(Pack, Pack.id == Card.pack_id)
            .where(
                Card.status == CardStatus.HELD.value,
                Card.buyback_expires_at > now,
                Card.buyback_expires_at <= horizon,
                has_endpoint.exists(),
                ~announced.exists(),
            )
            .order_by(Card.buyback_expires_at)
            .limit(limit)
        )
        return (await self.conn.execute(query)).mappings().all()
