"""The gateway's tables: accounts and credentials, login state, signing keys, integration clients."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Identity, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import declared_attr, registry
from sqlmodel import Field, SQLModel

from shared.db import naming_convention_metadata, snake_case
from shared.events import inbox_table
from shared.idempotency import idempotency_table
from shared.outbox import outbox_table


class GatewayModel(SQLModel, registry=registry(metadata=naming_convention_metadata())):
    @declared_attr  # type: ignore[arg-type]
    def __tablename__(cls) -> str:  # noqa: N805 - SQLAlchemy's declared_attr takes the class
        return snake_case(cls.__name__)


metadata = GatewayModel.metadata
idempotency_record = idempotency_table(metadata)
outbox_event = outbox_table(metadata)


def _now() -> datetime:
    return datetime.now(UTC)


def _timestamp(nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable)


class Account(GatewayModel, table=True):
    """A person who signs in. The phone is kept encrypted with a blind index, never in clear."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    username: str | None = Field(default=None, max_length=64, unique=True)
    phone_index: bytes | None = Field(default=None, sa_column=Column(LargeBinary, unique=True, nullable=True))
    phone_encrypted: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    password_hash: str | None = Field(default=None, max_length=255)
    display_name: str = Field(max_length=100)
    enabled: bool = True
    # A password someone else set (an administrator, a reset): the account must change it first.
    must_change_password: bool = False
    # Raised by every password change or reset: tokens of an older generation are refused.
    token_generation: int = 0
    generation_changed_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    password_changed_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    # The community or street of whoever created the account, so its staff manage it before it is
    # bound on the roster (None: the demo, or a resident's own first sign-in).
    home_place: str | None = Field(default=None, max_length=12, index=True)
    created_by: str | None = Field(default=None, max_length=80)
    # Stand-in facts until the residents service answers them (resident accounts only).
    resident_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None
    grid_code: str | None = Field(default=None, max_length=15)
    created_at: datetime = Field(default_factory=_now, sa_column=_timestamp())
    disabled_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class AccountBinding(GatewayModel, table=True):
    """Role → place bindings, a stand-in until the grids service is the source of truth."""

    __table_args__ = (UniqueConstraint("account_id", "role", "place_code", name="uq_account_binding_role_place"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    role: str = Field(max_length=32)
    place_code: str = Field(default="", max_length=15)


class WechatIdentity(GatewayModel, table=True):
    openid: str = Field(primary_key=True, max_length=64)
    unionid: str | None = Field(default=None, max_length=64)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    created_at: datetime = Field(default_factory=_now, sa_column=_timestamp())


class WechatBindTicket(GatewayModel, table=True):
    """An openid waiting to be bound by an SMS-verified login; the ticket is stored hashed."""

    ticket_hash: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))
    openid: str = Field(max_length=64)
    unionid: str | None = Field(default=None, max_length=64)
    expires_at: datetime = Field(sa_column=_timestamp())


class SigningKey(GatewayModel, table=True):
    """ES256 keys. Every key not retired is published in the JWKS; the newest active one signs."""

    kid: str = Field(primary_key=True, max_length=64)
    private_key_encrypted: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    public_jwk: dict[str, str] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(default_factory=_now, sa_column=_timestamp())
    retired_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class RefreshToken(GatewayModel, table=True):
    """Opaque, single use, rotated within a family; reuse of a spent one revokes the family."""

    __table_args__ = (Index("ix_refresh_token_family", "family_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    token_hash: bytes = Field(sa_column=Column(LargeBinary, unique=True, nullable=False))
    family_id: uuid.UUID
    account_id: uuid.UUID | None = Field(default=None, foreign_key="account.id", index=True)
    issued_at: datetime = Field(default_factory=_now, sa_column=_timestamp())
    expires_at: datetime = Field(sa_column=_timestamp())
    used_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    # The successor, sealed, for a retry of the same refresh within the grace window.
    successor_sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class SmsCode(GatewayModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    phone_index: bytes = Field(sa_column=Column(LargeBinary, nullable=False, index=True))
    code_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=_now, sa_column=_timestamp())
    expires_at: datetime = Field(sa_column=_timestamp())
    attempts: int = 0
    consumed_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class Throttle(GatewayModel, table=True):
    """Counters shared by every gateway replica (login failures, SMS sends): fixed windows, and the
    failed sign-ins of an identifier, which slow it down (``last_hit_at``: its latest failure or
    admitted attempt)."""

    key: str = Field(primary_key=True, max_length=200)
    window_started_at: datetime = Field(sa_column=_timestamp())
    count: int = 0
    last_hit_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class SignInSource(GatewayModel, table=True):
    """An address an account has signed in from (a keyed hash of it, never the address): its password
    sign-ins from there are not slowed by failures elsewhere (docs/services/gateway.md, "Brute force")."""

    account_id: uuid.UUID = Field(foreign_key="account.id", primary_key=True)
    source_hash: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))
    last_signed_in_at: datetime = Field(sa_column=_timestamp())


class IntegrationClient(GatewayModel, table=True):
    """A street office's system: OAuth2 client credentials, bound to one street."""

    client_id: str = Field(primary_key=True, max_length=64)
    secret_hash: str = Field(max_length=255)
    name: str = Field(max_length=100)
    street_code: str = Field(max_length=9)
    scopes: str = Field(max_length=500, description="space-separated")
    enabled: bool = True
    created_at: datetime = Field(default_factory=_now, sa_column=_timestamp())
    created_by: str | None = Field(default=None, max_length=80)
    # After a rotation the previous secret keeps working until it expires (24 hours).
    previous_secret_hash: str | None = Field(default=None, max_length=255)
    previous_secret_expires_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    rotated_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    disabled_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    # Deleted clients are kept (their audit rows and webhook endpoints name them) but never sign in.
    deleted_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class AdminAudit(GatewayModel, table=True):
    """Append-only (a trigger refuses UPDATE and DELETE): who did which administrative act to which
    account or integration client, when, in which request. Never a password, a secret or a phone."""

    __table_args__ = (Index("ix_admin_audit_street", "street_code", "id"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    at: datetime = Field(default_factory=_now, sa_column=_timestamp())
    actor: str = Field(max_length=80, description="account id, client:<id>, or bootstrap")
    actor_role: str = Field(max_length=32)
    action: str = Field(max_length=40)
    target_type: str = Field(max_length=20, description="account or client")
    target_id: str = Field(max_length=80)
    street_code: str = Field(max_length=9)
    community_code: str | None = Field(default=None, max_length=12)
    request_id: str | None = Field(default=None, max_length=64)
    changed: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(String(40)), nullable=False))


inbox_event = inbox_table(metadata)


class Notification(GatewayModel, table=True):
    """A line in an account's inbox, made from a service's event (once per event and account)."""

    __table_args__ = (
        UniqueConstraint("event_id", "account_id", name="uq_notification_event_account"),
        Index("ix_notification_inbox", "account_id", "created_at", "id"),
        Index("ix_notification_unread", "account_id", postgresql_where="read_at IS NULL"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="account.id")
    kind: str = Field(max_length=40)
    title: str = Field(max_length=100)
    body: str = Field(max_length=300)
    subject_type: str = Field(max_length=20)
    subject_id: str = Field(max_length=64)
    event_id: uuid.UUID
    created_at: datetime = Field(default_factory=_now, sa_column=_timestamp())
    read_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class WebhookEndpoint(GatewayModel, table=True):
    """Where an integration client wants events (Standard Webhooks); the secret is kept sealed, and
    the previous one for a while after a rotation (deliveries carry both signatures)."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_id: str = Field(foreign_key="integration_client.client_id", index=True, max_length=64)
    url: str = Field(max_length=2000)
    event_types: list[str] = Field(sa_column=Column(ARRAY(String(80)), nullable=False))
    description: str | None = Field(default=None, max_length=200)
    secret_sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    previous_secret_sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    previous_secret_expires_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, max_length=200)
    failure_streak: int = 0
    created_at: datetime = Field(default_factory=_now, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=_now, sa_column=_timestamp())
    # Deleted by its client: kept (its deliveries name it), never listed, read, changed or sent to again.
    deleted_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class WebhookDelivery(GatewayModel, table=True):
    """One event on its way to one endpoint: retried with back-off, set aside when it keeps failing."""

    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_delivery_endpoint_event"),
        Index(
            "ix_webhook_delivery_due", "next_attempt_at", postgresql_where="delivered_at IS NULL AND dead_at IS NULL"
        ),
        Index(
            "ix_webhook_delivery_pending_aggregate",
            "endpoint_id",
            "aggregate_id",
            "id",
            postgresql_where="delivered_at IS NULL AND dead_at IS NULL",
        ),
        Index("ix_webhook_delivery_log", "endpoint_id", "created_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    endpoint_id: uuid.UUID = Field(foreign_key="webhook_endpoint.id")
    event_id: uuid.UUID
    event_type: str = Field(max_length=80)
    aggregate_id: str = Field(max_length=64)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=_now, sa_column=_timestamp())
    delivered_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    dead_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=_now, sa_column=_timestamp())


class WebhookAttempt(GatewayModel, table=True):
    """The delivery log: every attempt, with what the endpoint answered."""

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    delivery_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("webhook_delivery.id"), nullable=False, index=True)
    )
    at: datetime = Field(default_factory=_now, sa_column=_timestamp())
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=300)
    duration_ms: int
