"""The staff API's JSON: request bodies and response models (also its OpenAPI schema)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo

from fastapi import Path
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from dialogs.eligibility import REASON_TEXTS
from webhook.booking.times import utc

ModeName = Literal["office", "phone"]


def local(value: datetime, zone: ZoneInfo) -> datetime:
    return utc(value).astimezone(zone)


def reasons_of(row: Any) -> list[str]:
    return [str(code) for code in json.loads(row.reasons or "[]")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OutcomeIn(_Body):
    outcome: Literal["attended", "no_show", "cancelled"] = Field(examples=["attended"])


class MoveIn(_Body):
    slot_id: int = Field(
        ge=1,
        le=2_147_483_647,
        examples=[42],
        description="A free slot of the booking's mode (``GET /slots``).",
    )


class SlotIn(_Body):
    starts_at: AwareDatetime = Field(examples=["2026-12-03T14:00:00+01:00"])
    minutes: int | None = Field(
        None, ge=10, le=240, description="Intake length; the schedule's when left out."
    )
    mode: ModeName
    capacity: int = Field(1, ge=1, le=50)


class CloseIn(_Body):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: AwareDatetime = Field(alias="from", examples=["2026-12-24T00:00:00+01:00"])
    end: AwareDatetime = Field(alias="to", examples=["2026-12-25T00:00:00+01:00"])
    mode: ModeName | None = Field(None, description="Only this mode; both when left out.")


class EraseIn(_Body):
    """Whose data to erase: give the reference of one of their bookings or the id of one of
    their call-back requests (exactly one)."""

    reference: str | None = Field(None, min_length=3, max_length=16, examples=["WA-7K3Q"])
    callback_id: int | None = Field(None, ge=1, le=2_147_483_647)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.reference is None) == (self.callback_id is None):
            raise ValueError("give either reference or callback_id")
        return self


class ErasedOut(BaseModel):
    subject: str = Field(examples=["booking:WA-7K3Q"], description="What was asked for.")
    already_erased: bool = Field(
        description="The resident's data had been erased or anonymised before."
    )


class ClosedOut(BaseModel):
    closed: int = Field(description="How many slots are closed now (bookings made stay).")


class BookingOut(BaseModel):
    """A booking as caseworkers see it: what the intake needs, nothing more."""

    reference: str = Field(examples=["WA-7K3Q"])
    starts_at: datetime
    ends_at: datetime
    mode: str
    status: str = Field(description="active, cancelled, attended or no_show")
    outcome: str | None = Field(description="The eligibility decision, e.g. eligible.")
    urgent: bool
    language: str
    channel: str
    name: str
    phone: str
    email: str | None
    reasons: list[str]
    situation: str | None
    energy: str | None
    supplier: str | None
    created_at: datetime
    claimed_by: str | None = Field(
        description="Name of the caseworker who claimed it (here or in the Telegram staff chat)."
    )

    @classmethod
    def fields_of(cls, row: Any, zone: ZoneInfo) -> dict[str, Any]:
        return {
            "reference": row.reference,
            "starts_at": local(row.starts_at, zone),
            "ends_at": local(row.ends_at, zone),
            "mode": row.mode,
            "status": row.status,
            "outcome": row.outcome,
            "urgent": bool(row.urgent),
            "language": row.locale,
            "channel": row.channel,
            "name": row.name,
            "phone": row.phone,
            "email": row.email or None,
            "reasons": reasons_of(row),
            "situation": row.situation,
            "energy": row.energy,
            "supplier": row.supplier,
            "created_at": local(row.created_at, zone),
            "claimed_by": row.claimed_by_name,
        }

    @classmethod
    def of(cls, row: Any, zone: ZoneInfo) -> BookingOut:
        return cls(**cls.fields_of(row, zone))


class BookingDetail(BookingOut):
    address: str = Field(description="The office address for office intakes, else empty.")
    rule_version: str | None
    reason_texts: list[str] = Field(description="The reasons in Dutch words.")
    claimed_at: datetime | None
    updated_at: datetime

    @classmethod
    def detail_of(cls, row: Any, zone: ZoneInfo, *, address: str) -> BookingDetail:
        reasons = reasons_of(row)
        return cls(
            **cls.fields_of(row, zone),
            address=address if row.mode == "office" else "",
            rule_version=row.rule_version,
            reason_texts=[REASON_TEXTS.get(code, code) for code in reasons],
            claimed_at=local(row.claimed_at, zone) if row.claimed_at else None,
            updated_at=local(row.updated_at, zone),
        )


class CallbackOut(BaseModel):
    id: int
    phone: str
    part_of_day: str
    urgent: bool
    outcome: str | None
    reasons: list[str]
    situation: str | None
    energy: str | None
    supplier: str | None
    language: str
    channel: str
    status: str
    created_at: datetime
    claimed_by: str | None

    @classmethod
    def of(cls, row: Any, zone: ZoneInfo) -> CallbackOut:
        return cls(
            id=row.id,
            phone=row.phone,
            part_of_day=row.part_of_day,
            urgent=bool(row.urgent),
            outcome=row.outcome,
            reasons=reasons_of(row),
            situation=row.situation,
            energy=row.energy,
            supplier=row.supplier,
            language=row.locale,
            channel=row.channel,
            status=row.status,
            created_at=local(row.created_at, zone),
            claimed_by=row.claimed_by_name,
        )


class SlotOut(BaseModel):
    id: int
    starts_at: datetime
    ends_at: datetime
    mode: str
    capacity: int
    booked: int
    closed: bool
    source: str = Field(description="schedule or adhoc")

    @classmethod
    def of(cls, row: Any, zone: ZoneInfo) -> SlotOut:
        return cls(
            id=row.id,
            starts_at=local(row.starts_at, zone),
            ends_at=local(row.ends_at, zone),
            mode=row.mode,
            capacity=row.capacity,
            booked=row.booked,
            closed=bool(row.closed),
            source=row.source,
        )


class DeadNotificationOut(BaseModel):
    """A notification given up on after its last retry (its payload is not shown)."""

    id: int
    event: str
    target: str
    attempts: int
    last_error: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: Any, zone: ZoneInfo) -> DeadNotificationOut:
        return cls(
            id=row.id,
            event=row.event,
            target=row.target,
            attempts=row.attempts,
            last_error=row.last_error,
            created_at=local(row.created_at, zone),
        )


CallbackId = Annotated[int, Path(ge=1, le=2**31 - 1)]
"""A call-back request id in a path: the column is a 32-bit INTEGER (larger ids get 422)."""
