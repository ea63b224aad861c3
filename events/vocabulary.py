"""The closed event vocabulary as data: each type's CAMEO code, default weight, quad class and
structural effects.

The catalogue (``data/vocabulary.csv``) and the CAMEO tables (``data/cameo/``) are the single
source of these facts; models and projections look them up here instead of branching on type
names. Default weights follow the GDELT Goldstein table ``CAMEO.goldsteinscale.txt`` (Goldstein
1992, as published by the GDELT Project), so a type's default weight is by construction the
Goldstein value of its CAMEO code.
"""

from __future__ import annotations

import csv
import io
from enum import IntEnum, StrEnum
from functools import cache

from events.datafiles import read_data
from events.errors import UnknownCameoCodeError, UnknownTypeError, field_message
from events.named import NamedTuple


class QuadClass(IntEnum):
    """CAMEO's four quad classes, numbered as in GDELT's ``QuadClass`` column."""

    VERBAL_COOPERATION = 1
    MATERIAL_COOPERATION = 2
    VERBAL_CONFLICT = 3
    MATERIAL_CONFLICT = 4

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ")


class Effect(StrEnum):
    """Structural effects: the only things that change a relationship's status."""

    ESTABLISHES_RELATIONS = "establishes_relations"
    DOWNGRADES_RELATIONS = "downgrades_relations"
    SEVERS_RELATIONS = "severs_relations"
    AGREEMENT_SIGNED = "agreement_signed"
    AGREEMENT_IN_FORCE = "agreement_in_force"
    AGREEMENT_ENDED = "agreement_ended"
    SANCTIONS_IMPOSED = "sanctions_imposed"
    SANCTIONS_LIFTED = "sanctions_lifted"
    CONFLICT_STARTS = "conflict_starts"
    CEASEFIRE = "ceasefire"
    CONFLICT_ENDS = "conflict_ends"
    # not structural: these act on the record itself
    RETRACTS = "retracts"
    CORRECTS = "corrects"


class CameoCode(NamedTuple):
    code: str
    description: str
    goldstein: float

    @property
    def quad_class(self) -> QuadClass:
        return quad_class_of(self.code)


class TypeInfo(NamedTuple):
    """One catalogue row. ``cameo_code`` and ``weight`` are ``None`` for the generic type (the
    event carries its code) and for the record-keeping types (``retract``, ``correct``)."""

    name: str
    cameo_code: str | None
    weight: float | None
    quad_class: QuadClass | None
    effects: tuple[Effect, ...]
    description: str


GENERIC_TYPE = "cameo"
RECORD_EFFECTS = frozenset({Effect.RETRACTS, Effect.CORRECTS})
STRUCTURAL_EFFECTS = frozenset(Effect) - RECORD_EFFECTS


def quad_class_of(code: str) -> QuadClass:
    """CAMEO roots 01-05 are verbal cooperation, 06-08 material cooperation, 09-13 verbal
    conflict, 14-20 material conflict (the grouping GDELT uses for ``QuadClass``)."""
    root = int(code[:2])
    if root <= 5:
        return QuadClass.VERBAL_COOPERATION
    if root <= 8:
        return QuadClass.MATERIAL_COOPERATION
    if root <= 13:
        return QuadClass.VERBAL_CONFLICT
    return QuadClass.MATERIAL_CONFLICT


@cache
def cameo_codes() -> dict[str, CameoCode]:
    """All CAMEO event codes with their GDELT description and Goldstein value."""
    names: dict[str, str] = {}
    # the shipped file is UTF-8 (reading it as latin-1 garbled code 044's description)
    for row in csv.DictReader(
        io.StringIO(read_data("cameo", "CAMEO.eventcodes.txt")), delimiter="\t"
    ):
        names[row["CAMEOEVENTCODE"].strip()] = row["EVENTDESCRIPTION"].strip()
    table: dict[str, CameoCode] = {}
    for row in csv.DictReader(
        io.StringIO(read_data("cameo", "CAMEO.goldsteinscale.txt")), delimiter="\t"
    ):
        code = row["CAMEOEVENTCODE"].strip()
        table[code] = CameoCode(code, names.get(code, ""), float(row["GOLDSTEINSCALE"]))
    return table


def cameo_code(code: str) -> CameoCode:
    """Look a CAMEO code up; an unknown code is an error naming it."""
    try:
        return cameo_codes()[code]
    except KeyError:
        raise UnknownCameoCodeError(
            field_message("cameo_code", code, "not a CAMEO event code (2-4 digits, e.g. '0311')"),
            field="cameo_code",
            value=code,
        ) from None


@cache
def catalogue() -> dict[str, TypeInfo]:
    """The vocabulary, keyed by type name, in catalogue order."""
    out: dict[str, TypeInfo] = {}
    for row in csv.DictReader(io.StringIO(read_data("vocabulary.csv"))):
        code = row["cameo_code"].strip() or None
        info = cameo_code(code) if code else None
        out[row["type"]] = TypeInfo(
            name=row["type"],
            cameo_code=code,
            weight=info.goldstein if info else None,
            quad_class=info.quad_class if info else None,
            effects=tuple(Effect(e) for e in row["effects"].split()),
            description=row["description"],
        )
    return out


def type_info(name: str) -> TypeInfo:
    """Look a type up; an unknown type is an error that suggests the closest names."""
    try:
        return catalogue()[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(str(name), list(catalogue()), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `tracker types`"
        raise UnknownTypeError(
            field_message("type", name, "unknown event type" + hint), field="type", value=name
        ) from None
