"""The booking part of the engine, as pure functions.

Offer and action nodes ask the booking port a question (a ``Query`` effect); the service
answers with an event. These functions build the query from the answers so far, and turn
the port's answer into offered buttons or the next node.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from dialogs.booking import (
    Booked,
    BookingInfo,
    BookRequest,
    HasOtherBooking,
    SlotOffer,
    SlotTaken,
)
from dialogs.eligibility import decide
from dialogs.events import BookingDone, BookingLookedUp, DaysFound, PortAnswer, TimesFound
from dialogs.model import ActionNode, OfferNode
from dialogs.replies import (
    Button,
    CancelBooking,
    FindDays,
    FindTimes,
    LookUpBooking,
    MakeBooking,
    MoveBooking,
    Query,
)
from dialogs.state import ConversationState
from dialogs.text import When

MAX_DAYS = 10
MAX_TIMES = 12


def is_urgent(state: ConversationState) -> bool:
    decision = state.decision or decide(state.answers)
    return decision.urgent


def query_for(node: OfferNode | ActionNode, state: ConversationState) -> Query | None:
    """The question for the booking port; ``None`` when the answers needed are missing."""
    a = state.answers
    try:
        if isinstance(node, OfferNode):
            mode, urgent = a["booking_mode"], is_urgent(state)
            if node.source == "days":
                return FindDays(mode, urgent)
            return FindTimes(mode, date.fromisoformat(a["booking_day"]), urgent)
        match node.action:
            case "book":
                return MakeBooking(_request(state))
            case "move":
                return MoveBooking(int(a["slot_id"]))
            case "lookup":
                return LookUpBooking()
            case "cancel":
                return CancelBooking()
    except (KeyError, ValueError):
        return None
    return None  # pragma: no cover - every action is matched above


def _request(state: ConversationState) -> BookRequest:
    a = state.answers
    decision = state.decision or decide(a)
    return BookRequest(
        slot_id=int(a["slot_id"]),
        name=a["name"],
        phone=a["phone"],
        email=a.get("email") or None,
        locale=state.locale,
        outcome=decision.outcome,
        urgent=decision.urgent,
        reasons=decision.reasons,
        rule_version=decision.rule_version,
        situation=a.get("situation"),
        energy=a.get("energy"),
        supplier=a.get("supplier"),
    )


def offer_from(node: OfferNode, answer: PortAnswer) -> tuple[tuple[str, str], ...] | None:
    """The buttons to offer for the port's answer; ``None`` if it answers something else."""
    if node.source == "days" and isinstance(answer, DaysFound):
        today = answer.today.isoformat() if answer.today else ""
        return tuple(
            (f"day:{d.isoformat()}", f"{d.isoformat()}|{today}") for d in answer.days[:MAX_DAYS]
        )
    if node.source == "times" and isinstance(answer, TimesFound):
        return tuple((f"slot:{s.id}", _slot_value(s)) for s in answer.slots[:MAX_TIMES])
    return None


def _slot_value(slot: SlotOffer) -> str:
    return f"{slot.id}|{slot.starts_at.isoformat()}|{slot.ends_at.isoformat()}"


def offer_buttons(node: OfferNode, state: ConversationState) -> tuple[Button, ...]:
    buttons = []
    for option_id, value in state.offer:
        when = _when_of(node, value)
        if when is not None:
            buttons.append(Button(option_id, when))
    return tuple(buttons)


def _when_of(node: OfferNode, value: str) -> When | None:
    try:
        if node.source == "days":
            day, _, today = value.partition("|")
            return When(
                date.fromisoformat(day), "day", date.fromisoformat(today) if today else None
            )
        return When(datetime.fromisoformat(value.split("|")[1]), "time")
    except (ValueError, IndexError):
        return None


def chosen(node: OfferNode, option_id: str, state: ConversationState) -> dict[str, str] | None:
    """The answers an offered button gives; ``None`` if it was not offered."""
    value = dict(state.offer).get(option_id)
    if value is None:
        return None
    if node.source == "days":
        return {node.key: value.partition("|")[0]}
    slot_id, starts, ends = value.split("|")
    return {"slot_id": slot_id, "slot_start": starts, "slot_end": ends}


def booking_answers(info: BookingInfo) -> dict[str, str]:
    return {
        "booking_reference": info.reference,
        "booking_start": info.starts_at.isoformat(),
        "booking_end": info.ends_at.isoformat(),
        "booking_mode": info.mode,
        "booking_address": info.address,
    }


def action_result(node: ActionNode, answer: PortAnswer) -> tuple[str, Mapping[str, str]] | None:
    """Where an action goes on the port's answer, with the answers it learned."""
    match answer:
        case BookingDone(result=Booked(info=info)):
            return node.next, booking_answers(info)
        case BookingDone(result=SlotTaken()):
            return node.fail, {}
        case BookingDone(result=HasOtherBooking(info=info)):
            return node.exists or node.fail, booking_answers(info)
        case BookingLookedUp(info=None):
            return node.fail, {}
        case BookingLookedUp(info=info) if info is not None:
            return node.next, booking_answers(info)
    return None
