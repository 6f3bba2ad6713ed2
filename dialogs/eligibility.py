"""Eligibility for reconnection without a deposit, as rules-as-code.

One pure function, ``decide(answers)``, implements the decision table of the product
specification (rows checked top to bottom). The rule version is recorded with every decision
so that a caseworker can tell which rules produced it. Facts and sources:
``shared/reference/domain.md`` §1.7, §2 and §9 (the 2020 Almere agreement with
Nuon/Vattenfall and PLANgroep).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from dialogs.text import N_

RULE_VERSION: Final = "almere-2020.1"

Outcome = Literal[
    "emergency", "outside_almere", "eligible", "prevention", "intake_needed", "not_eligible"
]
OUTCOMES: Final[tuple[Outcome, ...]] = (
    "emergency",
    "outside_almere",
    "eligible",
    "prevention",
    "intake_needed",
    "not_eligible",
)

CUT_OFF_ENERGY: Final = frozenset({"electricity", "gas", "both"})
YES_DEBT_HELP: Final = frozenset({"yes", "already"})

REASON_TEXTS: Final[Mapping[str, str]] = {
    "gas_danger": N_("U ruikt gas of er is gevaar. Uw veiligheid gaat voor."),
    "outside_almere": N_("U woont niet in Almere. Deze regeling is alleen voor Almere."),
    "cut_off": N_("Uw energie is afgesloten."),
    "not_cut_off": N_("Uw energie is nog niet afgesloten."),
    "lives_in_almere": N_("U woont in Almere."),
    "supplier_vattenfall": N_("Uw energiebedrijf is Vattenfall (vroeger Nuon)."),
    "supplier_other": N_(
        "Uw energiebedrijf is niet Vattenfall. De regeling geldt alleen voor Vattenfall."
    ),
    "supplier_unknown": N_("U weet niet wie uw energiebedrijf is. Dat zoeken we samen uit."),
    "heat": N_("Het gaat om warmte (stadsverwarming). Daarvoor gelden andere regels."),
    "debt_help_yes": N_("U wilt meedoen met schuldhulp."),
    "debt_help_already": N_("U doet al mee met schuldhulp."),
    "debt_help_no": N_("U wilt geen schuldhulp."),
    "budget_yes": N_("U kiest voor budgetbeheer."),
    "budget_no": N_("U wilt geen budgetbeheer."),
    "budget_unsure": N_("U weet nog niet of u budgetbeheer wilt."),
    "medical": N_("Iemand in uw huis heeft stroom nodig voor de gezondheid."),
    "unclear": N_("We missen nog informatie. Een hulpverlener kijkt het met u na."),
}


@dataclass(frozen=True)
class Decision:
    """The outcome, whether it is urgent, the reason codes and the rule version."""

    outcome: Outcome
    urgent: bool
    reasons: tuple[str, ...]
    rule_version: str = RULE_VERSION


def decide(answers: Mapping[str, str]) -> Decision:
    """Apply the decision table to the resident's answers (missing answers count as unknown)."""
    urgent = answers.get("situation") == "cut_off" or answers.get("medical") == "yes"
    outcome, reasons = _outcome(answers)
    if answers.get("medical") == "yes" and outcome != "emergency":
        reasons = (*reasons, "medical")
    return Decision(outcome, urgent or outcome == "emergency", reasons)


def _outcome(a: Mapping[str, str]) -> tuple[Outcome, tuple[str, ...]]:
    if a.get("gas_danger") == "yes":
        return "emergency", ("gas_danger",)
    if a.get("location") == "outside":
        return "outside_almere", ("outside_almere",)
    if a.get("location") != "almere":  # unknown: never claim "U woont in Almere"
        return "intake_needed", ("unclear",)
    situation, debt, budget = a.get("situation"), a.get("debt_help"), a.get("budget")
    if situation == "cut_off":
        return _cut_off(a, debt, budget)
    if situation in {"letter", "arrears"}:
        if debt in YES_DEBT_HELP:
            return "prevention", ("lives_in_almere", "not_cut_off", f"debt_help_{debt}")
        if debt == "no":
            return "not_eligible", ("not_cut_off", "debt_help_no")
    return "intake_needed", ("unclear",)


def _cut_off(
    a: Mapping[str, str], debt: str | None, budget: str | None
) -> tuple[Outcome, tuple[str, ...]]:
    base = ("lives_in_almere", "cut_off")
    if debt == "no":
        return "not_eligible", ("cut_off", "debt_help_no")
    if budget == "no":
        return "not_eligible", ("cut_off", f"debt_help_{debt}", "budget_no")
    if debt not in YES_DEBT_HELP or budget not in {"yes", "unsure"}:
        return "intake_needed", (*base, "unclear")
    supplier, energy = a.get("supplier"), a.get("energy")
    help_reasons = (f"debt_help_{debt}", f"budget_{budget}")
    if energy in CUT_OFF_ENERGY and supplier == "vattenfall" and budget == "yes":
        return "eligible", (*base, "supplier_vattenfall", *help_reasons)
    doubts = []
    if energy == "heat":
        doubts.append("heat")
    elif energy not in CUT_OFF_ENERGY:
        doubts.append("unclear")
    if supplier != "vattenfall":
        doubts.append("supplier_other" if supplier == "other" else "supplier_unknown")
    return "intake_needed", (*base, *doubts, *help_reasons)
