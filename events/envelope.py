"""The envelope: the fields every event type shares; a body's other keys are its type-specific
fields (the models and the light fact reader both split a body by this one set).

Apart from :mod:`events.vocabulary` so that reading facts from stored bodies does not build the
vocabulary's enumerations.
"""

from __future__ import annotations

ENVELOPE_FIELDS = frozenset(
    {
        "type",
        "event_id",
        "actor",
        "target",
        "occurred_on",
        "source",
        "summary",
        "confidence",
        "weight",
        "schema_version",
    }
)
