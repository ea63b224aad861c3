"""The sampling periods of a timeline: one definition, light enough for the CLI to import when
it builds its options (``projections.timeline`` brings the scoring model with it)."""

PERIODS = ("day", "week", "month", "quarter", "year")
