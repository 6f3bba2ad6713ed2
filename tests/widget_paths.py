"""Widget answers that lead a resident to the booking questions, for tests that book."""

# The widget answers that lead an eligible (urgent) resident to the booking questions.
ELIGIBLE: list[dict[str, str]] = [
    {"option": "lang:nl"},
    {"option": "privacy:agree"},
    {"option": "gas:no"},
    {"option": "medical:no"},
    {"option": "situation:cut_off"},
    {"option": "energy:gas"},
    {"text": "1315 AB 12"},
    {"option": "supplier:vattenfall"},
    {"option": "debt:yes"},
    {"option": "budget:yes"},
    {"option": "eligible:book"},
]
# ... and a resident not cut off yet (prevention: not urgent).
PREVENTION: list[dict[str, str]] = [
    {"option": "lang:nl"},
    {"option": "privacy:agree"},
    {"option": "gas:no"},
    {"option": "medical:no"},
    {"option": "situation:letter"},
    {"option": "energy:gas"},
    {"text": "1315 AB 12"},
    {"option": "supplier:vattenfall"},
    {"option": "debt:yes"},
    {"option": "prevention:book"},
]

OFFICE = {"option": "mode:office"}
