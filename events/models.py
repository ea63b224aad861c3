"""Typed events: a frozen envelope plus a typed body, one class per vocabulary type.

The classes form a discriminated union on ``type``; adding a type is one class here plus one
row in ``data/vocabulary.csv`` (a test checks the two agree). Behaviour that depends on the
type (CAMEO code, weight, structural effects) is looked up in the catalogue, never branched on.

This module is over 400 lines because it is the vocabulary itself: one short class per type,
kept together so that the classes and ``data/vocabulary.csv`` can be read side by side.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from functools import cache, lru_cache
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from events import parties
from events.dates import parse_iso_date
from events.dyad import dyad_of
from events.envelope import ENVELOPE_FIELDS
from events.errors import (
    InvalidEventError,
    TrackerError,
    UnknownTypeError,
    field_message,
)
from events.text import control_problem
from events.vocabulary import (
    CameoCode,
    Effect,
    QuadClass,
    TypeInfo,
    cameo_code,
    catalogue,
    type_info,
)

SCHEMA_VERSION: Literal[1] = 1
"""Version of the event body schema; bump when a body's meaning changes."""

_EVENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+#=-]{0,199}")


PLACE, CHECK, AS_RECORDED = "place", "check", "as_recorded"
"""How :func:`parse_event` treats parties named outside their lifetime: ``place`` records a new
event under the state that existed on its date (Russia in 1985: the USSR); ``check`` refuses
any such change (a correction must not move an event to another party); ``as_recorded`` takes
a stored event exactly as it is (the log stays readable whatever the party tables say)."""


_RECORD_EFFECTS = frozenset({Effect.RETRACTS, Effect.CORRECTS})


@cache
def _record_types() -> frozenset[str]:
    """The types whose events refer to another (their parties are the other's, as recorded):
    one set lookup per event instead of the type's effects looked up and intersected."""
    return frozenset(
        name for name, info in catalogue().items() if _RECORD_EFFECTS & set(info.effects)
    )


def new_event_id() -> str:
    """A random identifier for events whose caller supplies none."""
    return str(uuid.uuid4())


def _event_id(value: Any) -> Any:
    if isinstance(value, str) and not _EVENT_ID.fullmatch(value):
        raise ValueError(
            "must be 1-200 characters: letters, digits and . _ : @ / + # = -, "
            "starting with a letter or digit"
        )
    return value


def _party(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return parties.resolve(value)
        except TrackerError as exc:
            raise ValueError(exc.message.split(": ", 1)[-1]) from None
    return value


_parsed_date = lru_cache(maxsize=1 << 16)(parse_iso_date)
""":func:`parse_iso_date`, remembered: a bulk import meets the same days again and again (a
refused text is not remembered, so it raises its own error each time)."""


def _iso_date(value: Any) -> Any:
    """Dates are ISO ``YYYY-MM-DD`` strings or ``date`` objects; never timestamps or numbers."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return _parsed_date(value.strip())
    raise ValueError("must be a date written YYYY-MM-DD")


def _known_code(value: str) -> str:
    cameo_code(value)
    return value


EventId = Annotated[str, BeforeValidator(_event_id)]
PartyCode = Annotated[str, BeforeValidator(_party)]
EventDate = Annotated[date, BeforeValidator(_iso_date)]


def _one_line(value: str, info: ValidationInfo) -> str:
    # a body already in a log is read as it was stored (older versions let these in)
    if info.context and info.context.get("parties") == AS_RECORDED:
        return value
    problem = control_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


Text = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_one_line)]
Name = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_one_line)]


def _unsigned_zero(value: float) -> float:
    """-0.0 equals 0.0: store it as 0.0 so that equal events have equal bytes."""
    return value + 0.0


Weight = Annotated[float, Field(ge=-10, le=10), AfterValidator(_unsigned_zero)]
Money = Annotated[float, Field(ge=0), AfterValidator(_unsigned_zero)]
Confidence = Annotated[float, Field(ge=0, le=1), AfterValidator(_unsigned_zero)]
CameoCodeStr = Annotated[str, Field(pattern=r"^\d{2,4}$"), AfterValidator(_known_code)]


class EventBase(BaseModel):
    """The envelope every event shares."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        str_strip_whitespace=True,
        allow_inf_nan=False,
        validate_default=False,
        # Each class's validator is compiled on its first use, not at import: a command that
        # meets a few types (one append, a page of the log, a GDELT file, which only reads the
        # classes' fields) no longer pays ~70 ms compiling all of them; a bulk import compiles
        # them once in its batch adapter, as before (issue 16).
        defer_build=True,
    )

    type: str
    event_id: EventId = Field(default_factory=new_event_id)
    actor: PartyCode
    target: PartyCode
    occurred_on: EventDate
    source: Text | None = None
    summary: Text | None = None
    confidence: Confidence = 1.0
    weight: Weight | None = Field(
        default=None, description="explicit Goldstein value; the type's default when absent"
    )
    schema_version: Literal[1] = SCHEMA_VERSION

    #: fields a caller may set through ``--field`` (the type-specific ones)
    ENVELOPE: ClassVar[frozenset[str]] = ENVELOPE_FIELDS

    @model_validator(mode="after")
    def _parties_in_time(self, info: ValidationInfo) -> EventBase:
        """Record the event under the states that existed on its date (see
        :func:`events.parties.place`), then require two distinct parties."""
        mode = (info.context or {}).get("parties", PLACE)
        event = self
        actor, target = self.actor, self.target
        dated = parties.dated()
        if (
            mode != AS_RECORDED
            # a party of every date is placed under itself: only the others are looked up
            and (actor in dated or target in dated)
            and self.type not in _record_types()
        ):
            updates: dict[str, str] = {}
            for name, code in (("actor", actor), ("target", target)):
                try:
                    placed = parties.place(code, self.occurred_on)
                except TrackerError as exc:
                    raise ValueError(f"{name}: {exc.message.split(': ', 1)[-1]}") from None
                if placed.code != code:
                    if mode == CHECK:
                        raise ValueError(
                            f"{name}: {placed.note}; retract the event and append it anew"
                        )
                    updates[name] = placed.code
            if updates:
                event = self.model_copy(update=updates)
        if event.actor == event.target:
            raise ValueError(f"target: must differ from actor (both are {event.actor})")
        return event

    @property
    def info(self) -> TypeInfo:
        return type_info(self.type)

    @property
    def code(self) -> str:
        """The CAMEO event code this event is coded as."""
        code = type_info(self.type).cameo_code
        assert code is not None
        return code

    @property
    def cameo(self) -> CameoCode:
        return cameo_code(self.code)

    @property
    def default_weight(self) -> float:
        """The weight when no scoring model overrides it: explicit, else the code's Goldstein."""
        return self.weight if self.weight is not None else self.cameo.goldstein

    @property
    def quad_class(self) -> QuadClass:
        return self.cameo.quad_class

    @property
    def effects(self) -> tuple[Effect, ...]:
        return self.info.effects

    @property
    def dyad(self) -> tuple[str, str]:
        """The unordered pair, in code order: (A, B) and (B, A) are one relationship."""
        return dyad_of(self.actor, self.target)

    @classmethod
    def specific_fields(cls) -> dict[str, Any]:
        return {k: v for k, v in cls.model_fields.items() if k not in cls.ENVELOPE}


# --- verbal cooperation -------------------------------------------------------------------


class Statement(EventBase):
    type: Literal["statement"] = "statement"


class OptimisticComment(EventBase):
    type: Literal["optimistic_comment"] = "optimistic_comment"


class PessimisticComment(EventBase):
    type: Literal["pessimistic_comment"] = "pessimistic_comment"


class ExpressAccord(EventBase):
    type: Literal["express_accord"] = "express_accord"


class Appeal(EventBase):
    type: Literal["appeal"] = "appeal"


class AppealForAid(EventBase):
    type: Literal["appeal_for_aid"] = "appeal_for_aid"


class AppealToNegotiate(EventBase):
    type: Literal["appeal_to_negotiate"] = "appeal_to_negotiate"


class IntentToCooperate(EventBase):
    type: Literal["intent_to_cooperate"] = "intent_to_cooperate"


class IntentToProvideAid(EventBase):
    type: Literal["intent_to_provide_aid"] = "intent_to_provide_aid"


class IntentToMeet(EventBase):
    type: Literal["intent_to_meet"] = "intent_to_meet"


class Invitation(EventBase):
    type: Literal["invitation"] = "invitation"


class Consult(EventBase):
    type: Literal["consult"] = "consult"


class PhoneCall(EventBase):
    type: Literal["phone_call"] = "phone_call"


class Visit(EventBase):
    type: Literal["visit"] = "visit"


class HostVisit(EventBase):
    type: Literal["host_visit"] = "host_visit"


class Summit(EventBase):
    type: Literal["summit"] = "summit"
    location: Name | None = None


class Mediate(EventBase):
    type: Literal["mediate"] = "mediate"


class Negotiate(EventBase):
    type: Literal["negotiate"] = "negotiate"


class DiplomaticCooperation(EventBase):
    type: Literal["diplomatic_cooperation"] = "diplomatic_cooperation"


class Praise(EventBase):
    type: Literal["praise"] = "praise"


class Congratulate(EventBase):
    type: Literal["congratulate"] = "congratulate"
    occasion: Name | None = None


class DefendVerbally(EventBase):
    type: Literal["defend_verbally"] = "defend_verbally"


class SupportAtInternationalBody(EventBase):
    type: Literal["support_at_international_body"] = "support_at_international_body"
    body: Name
    veto: bool = False


class EstablishRelations(EventBase):
    type: Literal["establish_relations"] = "establish_relations"


class RestoreRelations(EventBase):
    type: Literal["restore_relations"] = "restore_relations"


class Apologize(EventBase):
    type: Literal["apologize"] = "apologize"


class SignAgreement(EventBase):
    type: Literal["sign_agreement"] = "sign_agreement"
    name: Name
    kind: Name = "agreement"


class SignTreaty(EventBase):
    type: Literal["sign_treaty"] = "sign_treaty"
    name: Name
    kind: Name = "treaty"


class RatifyTreaty(EventBase):
    type: Literal["ratify_treaty"] = "ratify_treaty"
    name: Name
    kind: Name = "treaty"


class PeaceAgreement(EventBase):
    type: Literal["peace_agreement"] = "peace_agreement"
    name: Name
    kind: Name = "peace agreement"


# --- material cooperation -----------------------------------------------------------------


class EconomicCooperation(EventBase):
    type: Literal["economic_cooperation"] = "economic_cooperation"


class MilitaryCooperation(EventBase):
    type: Literal["military_cooperation"] = "military_cooperation"


class IntelligenceSharing(EventBase):
    type: Literal["intelligence_sharing"] = "intelligence_sharing"


class EconomicAid(EventBase):
    type: Literal["economic_aid"] = "economic_aid"
    value_usd: Money | None = None


class MilitaryAid(EventBase):
    type: Literal["military_aid"] = "military_aid"
    items: tuple[Name, ...] = ()
    value_usd: Money | None = None


class ArmsTransfer(EventBase):
    type: Literal["arms_transfer"] = "arms_transfer"
    items: tuple[Name, ...] = ()
    value_usd: Money | None = None


class HumanitarianAid(EventBase):
    type: Literal["humanitarian_aid"] = "humanitarian_aid"
    value_usd: Money | None = None


class ReleasePersons(EventBase):
    type: Literal["release_persons"] = "release_persons"


class LiftSanctions(EventBase):
    type: Literal["lift_sanctions"] = "lift_sanctions"
    regime: Name


class Ceasefire(EventBase):
    type: Literal["ceasefire"] = "ceasefire"


# --- verbal conflict ----------------------------------------------------------------------


class Demand(EventBase):
    type: Literal["demand"] = "demand"


class Criticize(EventBase):
    type: Literal["criticize"] = "criticize"


class Accuse(EventBase):
    type: Literal["accuse"] = "accuse"


class Protest(EventBase):
    type: Literal["protest"] = "protest"


class Reject(EventBase):
    type: Literal["reject"] = "reject"


class Veto(EventBase):
    type: Literal["veto"] = "veto"
    body: Name


class Threaten(EventBase):
    type: Literal["threaten"] = "threaten"


class ThreatenSanctions(EventBase):
    type: Literal["threaten_sanctions"] = "threaten_sanctions"


class ThreatenForce(EventBase):
    type: Literal["threaten_force"] = "threaten_force"


class Ultimatum(EventBase):
    type: Literal["ultimatum"] = "ultimatum"


# --- material conflict --------------------------------------------------------------------


class ShowOfForce(EventBase):
    type: Literal["show_of_force"] = "show_of_force"


class MobilizeForces(EventBase):
    type: Literal["mobilize_forces"] = "mobilize_forces"


class RecallAmbassador(EventBase):
    type: Literal["recall_ambassador"] = "recall_ambassador"


class DowngradeRelations(EventBase):
    type: Literal["downgrade_relations"] = "downgrade_relations"


class SeverRelations(EventBase):
    type: Literal["sever_relations"] = "sever_relations"


class ReduceAid(EventBase):
    type: Literal["reduce_aid"] = "reduce_aid"


class ImposeSanctions(EventBase):
    type: Literal["impose_sanctions"] = "impose_sanctions"
    regime: Name
    measures: Text | None = None


class HaltNegotiations(EventBase):
    type: Literal["halt_negotiations"] = "halt_negotiations"


class WithdrawFromAgreement(EventBase):
    type: Literal["withdraw_from_agreement"] = "withdraw_from_agreement"
    name: Name


class ExpelDiplomats(EventBase):
    type: Literal["expel_diplomats"] = "expel_diplomats"
    count: Annotated[int, Field(ge=1)] | None = None


class DetainNationals(EventBase):
    type: Literal["detain_nationals"] = "detain_nationals"


class CyberOperation(EventBase):
    type: Literal["cyber_operation"] = "cyber_operation"


class SeizeProperty(EventBase):
    type: Literal["seize_property"] = "seize_property"


class Blockade(EventBase):
    type: Literal["blockade"] = "blockade"


class ArmedClash(EventBase):
    type: Literal["armed_clash"] = "armed_clash"


class MilitaryAttack(EventBase):
    type: Literal["military_attack"] = "military_attack"


class Invasion(EventBase):
    type: Literal["invasion"] = "invasion"


class AirStrike(EventBase):
    type: Literal["air_strike"] = "air_strike"


class ViolateCeasefire(EventBase):
    type: Literal["violate_ceasefire"] = "violate_ceasefire"


# --- generic ------------------------------------------------------------------------------


class Cameo(EventBase):
    """Any CAMEO event code, for coded data with no closer type. Never structural."""

    type: Literal["cameo"] = "cameo"
    cameo_code: CameoCodeStr

    @property
    def code(self) -> str:
        return self.cameo_code


# --- record keeping: corrections without rewriting history -----------------------------------

IMMUTABLE_FIELDS = frozenset({"type", "event_id", "actor", "target", "schema_version"})
"""Fields a correction may not change: retract the event and append a new one instead."""


class _RecordEvent(EventBase):
    """Refers to an earlier event; carries no weight of its own.

    Its ``actor``, ``target`` and ``occurred_on`` are copied from the event it refers to, so
    that it is filed under the same relationship and date.
    """

    refers_to: EventId
    reason: Text

    @property
    def code(self) -> str:
        return ""

    @property
    def default_weight(self) -> float:
        return 0.0


class Retract(_RecordEvent):
    type: Literal["retract"] = "retract"


class Correct(_RecordEvent):
    type: Literal["correct"] = "correct"
    changes: dict[str, Any] = Field(min_length=1)

    @model_validator(mode="after")
    def _mutable_fields_only(self) -> Correct:
        fixed = sorted(IMMUTABLE_FIELDS & set(self.changes))
        if fixed:
            raise ValueError(
                f"changes: {', '.join(fixed)} cannot be corrected "
                "(retract the event and append a new one)"
            )
        return self


EVENT_CLASSES: dict[str, type[EventBase]] = {
    cls.model_fields["type"].default: cls
    for cls in [*EventBase.__subclasses__(), *_RecordEvent.__subclasses__()]
    if cls is not _RecordEvent
}
"""Every event class by its ``type`` tag."""

Event = Annotated[
    Union[  # noqa: UP007 - a discriminated union needs the Union spelling for pydantic
        Statement,
        OptimisticComment,
        PessimisticComment,
        ExpressAccord,
        Appeal,
        AppealForAid,
        AppealToNegotiate,
        IntentToCooperate,
        IntentToProvideAid,
        IntentToMeet,
        Invitation,
        Consult,
        PhoneCall,
        Visit,
        HostVisit,
        Summit,
        Mediate,
        Negotiate,
        DiplomaticCooperation,
        Praise,
        Congratulate,
        DefendVerbally,
        SupportAtInternationalBody,
        EstablishRelations,
        RestoreRelations,
        Apologize,
        SignAgreement,
        SignTreaty,
        RatifyTreaty,
        PeaceAgreement,
        EconomicCooperation,
        MilitaryCooperation,
        IntelligenceSharing,
        EconomicAid,
        MilitaryAid,
        ArmsTransfer,
        HumanitarianAid,
        ReleasePersons,
        LiftSanctions,
        Ceasefire,
        Demand,
        Criticize,
        Accuse,
        Protest,
        Reject,
        Veto,
        Threaten,
        ThreatenSanctions,
        ThreatenForce,
        Ultimatum,
        ShowOfForce,
        MobilizeForces,
        RecallAmbassador,
        DowngradeRelations,
        SeverRelations,
        ReduceAid,
        ImposeSanctions,
        HaltNegotiations,
        WithdrawFromAgreement,
        ExpelDiplomats,
        DetainNationals,
        CyberOperation,
        SeizeProperty,
        Blockade,
        ArmedClash,
        MilitaryAttack,
        Invasion,
        AirStrike,
        ViolateCeasefire,
        Cameo,
        Retract,
        Correct,
    ],
    Field(discriminator="type"),
]
"""The closed vocabulary as one type: any event, told apart by ``type``."""


def event_class(type_name: Any) -> type[EventBase]:
    """The class for a type tag; unknown tags raise with suggestions."""
    if not isinstance(type_name, str):
        raise UnknownTypeError(
            field_message("type", type_name, "missing or not a string"),
            field="type",
            value=type_name,
        )
    cls = EVENT_CLASSES.get(type_name)
    if cls is None:
        type_info(type_name)  # raises with suggestions
        raise UnknownTypeError(
            field_message("type", type_name, "unknown event type"), field="type", value=type_name
        )
    return cls


def parse_event(data: dict[str, Any], *, parties_mode: str = PLACE) -> EventBase:
    """Validate a plain mapping into its typed event, or raise one clear error.

    The error names the first bad field and its value (``InvalidEventError``), so that a CLI or
    an importer can report it with a line number. ``parties_mode`` is :data:`PLACE` for new
    events, :data:`AS_RECORDED` for events read back from a log or an export.
    """
    if not isinstance(data, dict):
        raise InvalidEventError(
            f"event must be a JSON object, not {type(data).__name__}", field="event", value=data
        )
    cls = event_class(data.get("type"))
    try:
        return cls.model_validate(data, context={"parties": parties_mode})
    except ValidationError as exc:
        raise _invalid(exc, cls, data) from None


def _invalid(exc: ValidationError, cls: type[EventBase], data: dict[str, Any]) -> TrackerError:
    err = exc.errors(include_url=False)[0]
    loc = [str(p) for p in err["loc"]]
    field = ".".join(loc) if loc else "event"
    value = err.get("input")
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        allowed = ", ".join(sorted(set(cls.model_fields) - {"schema_version"}))
        msg = f"not a field of {cls.model_fields['type'].default!r} events (fields: {allowed})"
    elif err["type"] == "missing":
        return InvalidEventError(
            f"{field}: missing; required for {cls.model_fields['type'].default!r} events",
            field=field,
            value=None,
        )
    elif not loc:
        # model-level rules say which field they are about: "field: reason"
        field, _, msg = msg.partition(": ")
        value = data.get(field)
    return InvalidEventError(field_message(field, value, msg), field=field, value=value)


_BATCH: Any = None


def parse_events(batch: list[Any], *, parties_mode: str = PLACE) -> list[EventBase | TrackerError]:
    """Validate many mappings at once: for each, its event or the error :func:`parse_event`
    would raise for it (``parties_mode`` as there).

    A bulk import validates thousands of events; one compiled pass of a ``TypeAdapter`` over
    the whole list (pydantic's core dispatching on ``type``) costs about a quarter less per
    event than one ``model_validate`` call each. It builds the very same models. If any item
    is invalid, the batch is validated again item by item, so that every error is exactly
    the one-at-a-time error (invalid input is rare in bulk and then costs twice)."""
    global _BATCH
    if batch and all(type(item) is dict for item in batch):
        if _BATCH is None:
            from pydantic import TypeAdapter

            # the models first (deferred, see EventBase): the adapter then reuses their
            # schemas, and the serializers a bulk import calls next are built only once
            for cls in EVENT_CLASSES.values():
                cls.model_rebuild()
            _BATCH = TypeAdapter(list[Event])
        try:
            events: list[EventBase | TrackerError] = _BATCH.validate_python(
                batch, context={"parties": parties_mode}
            )
            return events
        except (ValidationError, TrackerError):
            # a validator's own error (an unknown CAMEO code) escapes the batch as it is: the
            # item-by-item pass below turns it into that item's error, as for the others
            pass
    out: list[EventBase | TrackerError] = []
    for item in batch:
        try:
            out.append(parse_event(item, parties_mode=parties_mode))
        except TrackerError as exc:
            out.append(exc)
    return out
