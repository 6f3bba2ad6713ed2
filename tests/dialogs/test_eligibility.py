"""The decision table of PRODUCT.md §2, row by row, and its edges.

Rows are checked top to bottom: emergency, outside_almere, eligible, prevention,
intake_needed, not_eligible. ``urgent`` is set when the resident is cut off or someone depends
on power for their health. Every decision carries reason codes and the rule version.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from dialogs.eligibility import OUTCOMES, REASON_TEXTS, RULE_VERSION, Decision, decide

# A resident in Almere who is cut off from electricity by Vattenfall and says yes to
# debt help and budgetbeheer: the textbook "eligible" case. Rows below change one thing.
ELIGIBLE: Mapping[str, str] = {
    "consent": "yes",
    "gas_danger": "no",
    "medical": "no",
    "situation": "cut_off",
    "energy": "electricity",
    "postcode": "1315 AB",
    "location": "almere",
    "house_number": "12",
    "supplier": "vattenfall",
    "debt_help": "yes",
    "budget": "yes",
}
# Not cut off yet (a letter), in Almere, wants debt help; budgetbeheer is not asked.
LETTER: Mapping[str, str] = {key: value for key, value in ELIGIBLE.items() if key != "budget"} | {
    "situation": "letter"
}


def answers(base: Mapping[str, str], **changes: str | None) -> dict[str, str]:
    """``base`` with ``changes`` applied; a change to ``None`` removes the answer."""
    result = dict(base)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def check(decision: Decision, outcome: str, urgent: bool, reasons: set[str]) -> None:
    assert decision.outcome == outcome
    assert decision.urgent is urgent
    assert reasons <= set(decision.reasons), decision.reasons
    assert decision.reasons, "every decision is explained"
    assert set(decision.reasons) <= set(REASON_TEXTS), "every reason has a text to show"
    assert len(decision.reasons) == len(set(decision.reasons)), "no reason twice"
    assert decision.rule_version == RULE_VERSION


CASES = [
    # -- emergency: gas smell or danger, before anything else ---------------------------------
    pytest.param(
        answers(ELIGIBLE, gas_danger="yes"), "emergency", True, {"gas_danger"}, id="emergency"
    ),
    pytest.param(
        {"gas_danger": "yes"}, "emergency", True, {"gas_danger"}, id="emergency-nothing-else"
    ),
    pytest.param(
        answers(ELIGIBLE, gas_danger="yes", location="outside", medical="yes", debt_help="no"),
        "emergency",
        True,
        {"gas_danger"},
        id="emergency-beats-everything",
    ),
    # -- outside Almere -----------------------------------------------------------------------
    pytest.param(
        answers(LETTER, location="outside", postcode="1234 AB"),
        "outside_almere",
        False,
        {"outside_almere"},
        id="outside-almere",
    ),
    pytest.param(
        answers(ELIGIBLE, location="outside", postcode="3891 AB"),
        "outside_almere",
        True,
        {"outside_almere"},
        id="outside-almere-cut-off-still-urgent",
    ),
    pytest.param(
        {"gas_danger": "no", "medical": "no", "situation": "cut_off", "location": "outside"},
        "outside_almere",
        True,
        {"outside_almere"},
        id="outside-almere-without-postcode",
    ),
    # -- eligible: Almere, gas and/or electricity cut off, Vattenfall, debt help, budgetbeheer --
    *[
        pytest.param(
            answers(ELIGIBLE, energy=energy, debt_help=debt),
            "eligible",
            True,
            {
                "lives_in_almere",
                "cut_off",
                "supplier_vattenfall",
                f"debt_help_{debt}",
                "budget_yes",
            },
            id=f"eligible-{energy}-debt-{debt}",
        )
        for energy in ("electricity", "gas", "both")
        for debt in ("yes", "already")
    ],
    # -- prevention: Almere, not cut off, debt help yes; budgetbeheer does not matter ---------
    *[
        pytest.param(
            answers(LETTER, situation=situation, debt_help=debt, budget=budget),
            "prevention",
            False,
            {"lives_in_almere", "not_cut_off", f"debt_help_{debt}"},
            id=f"prevention-{situation}-debt-{debt}-budget-{budget}",
        )
        for situation in ("letter", "arrears")
        for debt in ("yes", "already")
        for budget in (None, "no")
    ],
    pytest.param(
        answers(LETTER, supplier="other", energy="heat"),
        "prevention",
        False,
        {"not_cut_off", "debt_help_yes"},
        id="prevention-heat-other-supplier",
    ),
    # -- intake_needed: cut off, debt help yes, budgetbeheer yes or unsure, but in doubt ------
    pytest.param(
        answers(ELIGIBLE, budget="unsure"),
        "intake_needed",
        True,
        {"cut_off", "budget_unsure"},
        id="intake-budget-unsure",
    ),
    pytest.param(
        answers(ELIGIBLE, energy="heat"),
        "intake_needed",
        True,
        {"cut_off", "heat"},
        id="intake-heat",
    ),
    pytest.param(
        answers(ELIGIBLE, supplier="other"),
        "intake_needed",
        True,
        {"cut_off", "supplier_other"},
        id="intake-other-supplier",
    ),
    pytest.param(
        answers(ELIGIBLE, supplier="unknown"),
        "intake_needed",
        True,
        {"cut_off", "supplier_unknown"},
        id="intake-unknown-supplier",
    ),
    pytest.param(
        answers(ELIGIBLE, debt_help="already", supplier="other", energy="heat", budget="unsure"),
        "intake_needed",
        True,
        {"cut_off", "supplier_other", "heat", "budget_unsure", "debt_help_already"},
        id="intake-every-doubt-at-once",
    ),
    # -- not_eligible ---------------------------------------------------------------------------
    pytest.param(
        answers(ELIGIBLE, debt_help="no", budget=None),
        "not_eligible",
        True,
        {"cut_off", "debt_help_no"},
        id="not-eligible-cut-off-no-debt-help",
    ),
    pytest.param(
        answers(ELIGIBLE, budget="no"),
        "not_eligible",
        True,
        {"cut_off", "budget_no"},
        id="not-eligible-cut-off-no-budgetbeheer",
    ),
    pytest.param(
        answers(ELIGIBLE, energy="heat", supplier="other", budget="no"),
        "not_eligible",
        True,
        {"cut_off", "budget_no"},
        id="not-eligible-budget-no-beats-doubts",
    ),
    *[
        pytest.param(
            answers(LETTER, situation=situation, debt_help="no"),
            "not_eligible",
            False,
            {"not_cut_off", "debt_help_no"},
            id=f"not-eligible-{situation}-no-debt-help",
        )
        for situation in ("letter", "arrears")
    ],
    # -- medical dependency: urgent even when not cut off, and said in the reasons ------------
    pytest.param(
        answers(LETTER, medical="yes"),
        "prevention",
        True,
        {"not_cut_off", "medical"},
        id="medical-prevention-urgent",
    ),
    pytest.param(
        answers(LETTER, medical="yes", debt_help="no"),
        "not_eligible",
        True,
        {"debt_help_no", "medical"},
        id="medical-not-eligible-urgent",
    ),
    pytest.param(
        answers(LETTER, medical="yes", location="outside"),
        "outside_almere",
        True,
        {"outside_almere", "medical"},
        id="medical-outside-almere-urgent",
    ),
    pytest.param(
        answers(ELIGIBLE, medical="yes"),
        "eligible",
        True,
        {"cut_off", "medical"},
        id="medical-eligible",
    ),
    # -- missing answers: never raise, a counsellor looks at it ---------------------------------
    pytest.param({}, "intake_needed", False, {"unclear"}, id="missing-everything"),
    pytest.param(
        {"situation": "cut_off"}, "intake_needed", True, set(), id="missing-all-but-cut-off"
    ),
    pytest.param(
        answers(ELIGIBLE, budget=None),
        "intake_needed",
        True,
        {"cut_off", "unclear"},
        id="missing-budget",
    ),
    pytest.param(
        answers(ELIGIBLE, debt_help=None),
        "intake_needed",
        True,
        {"cut_off", "unclear"},
        id="missing-debt-help",
    ),
    pytest.param(
        answers(ELIGIBLE, supplier=None),
        "intake_needed",
        True,
        {"cut_off", "supplier_unknown"},
        id="missing-supplier",
    ),
    pytest.param(
        answers(ELIGIBLE, energy=None),
        "intake_needed",
        True,
        {"cut_off", "unclear"},
        id="missing-energy",
    ),
    pytest.param(
        answers(ELIGIBLE, situation=None),
        "intake_needed",
        False,
        {"unclear"},
        id="missing-situation",
    ),
    pytest.param(
        answers(LETTER, debt_help=None),
        "intake_needed",
        False,
        {"unclear"},
        id="missing-debt-help-not-cut-off",
    ),
    pytest.param(
        answers(ELIGIBLE, location=None, postcode=None),
        "intake_needed",
        True,
        {"unclear"},
        id="missing-location",
    ),
    pytest.param(
        answers(LETTER, situation="other"), "intake_needed", False, {"unclear"}, id="other"
    ),
    pytest.param(
        {"situation": "🙃", "debt_help": "misschien", "budget": "", "location": "mars"},
        "intake_needed",
        False,
        {"unclear"},
        id="nonsense-values",
    ),
]


@pytest.mark.parametrize(("given", "outcome", "urgent", "reasons"), CASES)
def test_decision_table(
    given: dict[str, str], outcome: str, urgent: bool, reasons: set[str]
) -> None:
    check(decide(given), outcome, urgent, reasons)


def test_every_outcome_is_covered_by_the_table() -> None:
    covered = {param.values[1] for param in CASES}
    assert covered == set(OUTCOMES)


def test_emergency_says_nothing_else_first() -> None:
    decision = decide(answers(ELIGIBLE, gas_danger="yes", medical="yes"))
    assert decision.reasons == ("gas_danger",)


def test_unknown_location_never_claims_almere() -> None:
    decision = decide(answers(ELIGIBLE, location=None))
    assert "lives_in_almere" not in decision.reasons
    assert decision.outcome != "eligible"


def test_outside_almere_wins_over_every_later_row() -> None:
    for base in (ELIGIBLE, LETTER, answers(ELIGIBLE, debt_help="no")):
        assert decide(answers(base, location="outside")).outcome == "outside_almere"


def test_decide_is_pure() -> None:
    given = dict(ELIGIBLE)
    first = decide(given)
    assert given == ELIGIBLE, "decide must not change the answers"
    assert decide(given) == first


def test_reason_texts_are_plain_sentences() -> None:
    for code, text in REASON_TEXTS.items():
        assert text.strip() == text
        assert text.endswith("."), code
