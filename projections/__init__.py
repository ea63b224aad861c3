"""Projections: pure folds of events into scores, relationship state, explanations and
timelines. No database, no files, no clock: time and the scoring model are passed in."""
