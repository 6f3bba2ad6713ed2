"""The funnel's SQL side: counting a turn, reading the counts back, showing them as a chart
and a CSV file (the counting itself is worked out by ``dialogs.funnel``)."""
