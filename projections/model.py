"""The scoring model: every tunable number, with a content fingerprint.

Defaults ship here; a TOML file replaces any of them (see :func:`parse_model`). The fingerprint
is the SHA-256 of the model's canonical JSON, so two runs with the same fingerprint computed
their numbers with the same parameters, and an auditor can tell.

Example model file::

    half_life_days = 180
    scale = 50
    mode = "sum"            # or "mean" for bulk coded data (GDELT)
    hysteresis = 3
    trend_window_days = 90

    [weights]               # per-type overrides of the CAMEO/Goldstein default
    congratulate = 2.0

    [[bands]]               # highest first; an index >= lower gets this label
    label = "allied"
    lower = 60

    [structure]             # the non-decaying stock B(t): see projections/stock.py
    relations_established = 4
    conflict_active = -40
    sanctions = -6          # per regime in force, in its direction
    returns = 0.5           # the n-th term of one group counts returns^(n-1) of its weight
    signed_fraction = 0.25  # a signed agreement not yet in force counts this share

    [structure.agreements]  # weight of an agreement in force, by its kind
    "mutual defence" = 30

Every structural weight at 0 gives the pure-flow index of scoring model 1.

Every number must be finite and inside its documented range (see ``RANGES``): half_life_days
1 … 36500, scale 0.001 … 1e6, hysteresis 0 … <50, trend_window_days a whole number 1 … 36500,
band lowers -100 … 100 (the last exactly -100), weights -10 … 10, structural weights
-100 … 100, returns and signed_fraction 0 … 1, faded_half_lives 0.1 … 100.

This module is over 400 lines because the model's fields, their validation, the TOML parser and
the JSON round trip share one set of definitions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

from events.errors import TrackerError, field_message
from events.named import NamedTuple


class ModelError(TrackerError):
    """A scoring model file is malformed or out of range."""


class Band(NamedTuple):
    label: str
    lower: float


DEFAULT_BANDS: tuple[Band, ...] = (
    Band("allied", 60.0),
    Band("friendly", 30.0),
    Band("cordial", 10.0),
    Band("neutral", -10.0),
    Band("strained", -30.0),
    Band("hostile", -100.0),
)
"""Six levels from hostile to allied, after Tsinghua University's six-level scale of China's
relations with major powers (confrontation ... friendly), mapped to index bands."""

STRUCTURE_KEYS: tuple[str, ...] = (
    "relations_established",
    "relations_downgraded",
    "relations_severed",
    "sanctions",
    "conflict_active",
    "conflict_ceasefire",
)
"""The scalar structural weights (score units, like an event's Goldstein weight)."""

DEFAULT_STRUCTURE: Mapping[str, float] = MappingProxyType(
    {
        "relations_established": 4.0,
        "relations_downgraded": -6.0,
        "relations_severed": -15.0,
        "sanctions": -6.0,
        "conflict_active": -40.0,
        "conflict_ceasefire": -15.0,
    }
)
"""Defaults; the rationale of each is in the README ("Scoring model"). In short, with K = 50:
normal relations alone read neutral (+8), severed relations or a ceasefire strained (-29), one
sanctions regime just strained (-12), an active war hostile (-66) whatever the news."""

DEFAULT_AGREEMENTS: Mapping[str, float] = MappingProxyType(
    {
        "alliance": 30.0,
        "mutual defence": 30.0,
        "strategic partnership": 15.0,
        "friendship": 10.0,
        "peace agreement": 6.0,
        "treaty": 5.0,
        "trade": 5.0,
        "economic": 5.0,
        "agreement": 4.0,
        "arrangement": 3.0,
        "declaration": 3.0,
        "joint statement": 3.0,
        "plan": 2.0,
        "other": 4.0,
    }
)
"""Weight of one agreement in force by its ``kind`` (``other``: any kind not listed). An
alliance or mutual-defence treaty alone reads friendly (+54), never allied: that takes warm
events on top."""

DEFAULT_RETURNS = 0.5
"""Diminishing returns: within one group (the agreements of one kind, the sanctions regimes
of one side on the other) the n-th largest term counts 0.5^(n-1) of its weight, so a group
never weighs more than twice its largest term (nine UN resolutions weigh -12, not -54)."""

DEFAULT_SIGNED_FRACTION = 0.25
"""A signed agreement that is not yet in force counts a quarter of its weight: a promise."""

AT_WAR = "at war"
NEUTRAL = "neutral"


_NO_WEIGHTS: Mapping[str, float] = MappingProxyType({})


class ScoringModel:
    """The model's settings, checked when it is made; immutable, equal to a model with the
    same settings. What ``@dataclass(frozen=True)`` would generate, written out: building
    that class (its generated methods compiled one by one, and the ``dataclasses`` import)
    was about a tenth of a ``tracker state`` process (issue 16's start-up target)."""

    __match_args__ = (
        "half_life_days",
        "scale",
        "mode",
        "hysteresis",
        "trend_window_days",
        "bands",
        "weights",
        "structure",
        "agreements",
        "returns",
        "signed_fraction",
        "faded_half_lives",
    )

    half_life_days: float
    """Days for an event's weight to halve (tuned on the demo data, see README)."""
    scale: float
    """K in the index 100·tanh(S/K): the score at which the index reaches ±76."""
    mode: Literal["sum", "mean"]
    hysteresis: float
    trend_window_days: int
    bands: tuple[Band, ...]
    weights: Mapping[str, float]
    structure: Mapping[str, float]
    """Scalar structural weights (:data:`STRUCTURE_KEYS`)."""
    agreements: Mapping[str, float]
    """Structural weight of an agreement in force, by kind (``other`` for unlisted kinds)."""
    returns: float
    signed_fraction: float
    faded_half_lives: float
    """After this many half-lives without an event the flow has faded: outputs say that the
    reading rests on structure."""

    def __init__(
        self,
        half_life_days: float = 180.0,
        scale: float = 50.0,
        mode: Literal["sum", "mean"] = "sum",
        hysteresis: float = 3.0,
        trend_window_days: int = 90,
        bands: tuple[Band, ...] = DEFAULT_BANDS,
        weights: Mapping[str, float] = _NO_WEIGHTS,
        structure: Mapping[str, float] = DEFAULT_STRUCTURE,
        agreements: Mapping[str, float] = DEFAULT_AGREEMENTS,
        returns: float = DEFAULT_RETURNS,
        signed_fraction: float = DEFAULT_SIGNED_FRACTION,
        faded_half_lives: float = 2.0,
    ) -> None:
        self.__dict__.update(
            half_life_days=half_life_days,
            scale=scale,
            mode=mode,
            hysteresis=hysteresis,
            trend_window_days=trend_window_days,
            bands=bands,
            weights=weights,
            structure=structure,
            agreements=agreements,
            returns=returns,
            signed_fraction=signed_fraction,
            faded_half_lives=faded_half_lives,
        )
        self.__post_init__()

    def replace(self, **changes: Any) -> ScoringModel:
        """This model with some settings changed (checked anew), as
        :func:`dataclasses.replace` makes it."""
        d = self.__dict__
        return ScoringModel(**{**{name: d[name] for name in _FIELDS}, **changes})

    def _settings(self) -> tuple[Any, ...]:
        d = self.__dict__
        return tuple(d[name] for name in _FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._settings() == other._settings()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._settings())

    def __repr__(self) -> str:
        d = self.__dict__
        settings = ", ".join(f"{name}={d[name]!r}" for name in _FIELDS)
        return f"{self.__class__.__qualname__}({settings})"

    def __setattr__(self, name: str, value: Any) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __post_init__(self) -> None:
        for name, low, high in RANGES:
            value = getattr(self, name)
            _check(
                _is_number(value) and math.isfinite(value) and low <= value <= high,
                name,
                value,
                f"must be a finite number in [{low:g}, {high:g}]",
            )
        _check(self.hysteresis < 50, "hysteresis", self.hysteresis, "must be in [0, 50)")
        _check(self.mode in ("sum", "mean"), "mode", self.mode, "must be 'sum' or 'mean'")
        _check(
            isinstance(self.trend_window_days, int),
            "trend_window_days",
            self.trend_window_days,
            "must be a whole number of days",
        )
        _check(
            isinstance(self.bands, tuple) and all(isinstance(b, Band) for b in self.bands),
            "bands",
            self.bands,
            "must be a list of {label, lower} tables",
        )
        for b in self.bands:
            _check(
                isinstance(b.label, str) and 0 < len(b.label) <= 40 and b.label.isprintable(),
                "bands.label",
                b.label,
                "must be printable text of 1 to 40 characters",
            )
            _check(
                _is_number(b.lower) and math.isfinite(b.lower) and -100 <= b.lower <= 100,
                f"bands.{b.label}.lower",
                b.lower,
                "must be a finite number in [-100, 100]",
            )
        lowers = [b.lower for b in self.bands]
        _check(
            bool(self.bands)
            and lowers == sorted(lowers, reverse=True)
            and len(set(lowers)) == len(lowers)
            and lowers[-1] <= -100,
            "bands",
            lowers,
            "must be listed highest first, distinct, the last at -100",
        )
        _check(isinstance(self.weights, Mapping), "weights", self.weights, "must be a table")
        for name, w in self.weights.items():
            from events.vocabulary import type_info

            type_info(name)
            _check(
                _is_number(w) and math.isfinite(w) and -10 <= w <= 10,
                f"weights.{name}",
                w,
                "must be a finite number in [-10, 10]",
            )
        self._check_structure()

    def _check_structure(self) -> None:
        for table in ("structure", "agreements"):
            value = getattr(self, table)
            _check(isinstance(value, Mapping), f"structure.{table}", value, "must be a table")
        for name in self.structure:
            _check(name in STRUCTURE_KEYS, f"structure.{name}", name, "unknown structural term")
        for name, w in (*self.structure.items(), *self.agreements.items()):
            _check(
                _is_number(w) and math.isfinite(w) and -100 <= w <= 100,
                f"structure.{name}",
                w,
                "must be a finite number in [-100, 100]",
            )
        for name, value, low, high in (
            ("structure.returns", self.returns, 0.0, 1.0),
            ("structure.signed_fraction", self.signed_fraction, 0.0, 1.0),
            ("faded_half_lives", self.faded_half_lives, 0.1, 100.0),
        ):
            _check(
                _is_number(value) and math.isfinite(value) and low <= value <= high,
                name,
                value,
                f"must be a finite number in [{low:g}, {high:g}]",
            )

    # -- numbers ---------------------------------------------------------------------------

    def decay(self, days: int) -> float:
        """The factor 2^(-days/H) by which a score fades over ``days``."""
        return float(2.0 ** (-days / self.half_life_days))

    def weight(self, term: str) -> float:
        """A scalar structural weight (0 for a term the model leaves out)."""
        return self.structure.get(term, 0.0)

    def agreement_weight(self, kind: str) -> float:
        """The structural weight of one agreement in force of ``kind``."""
        table = self.agreements
        return table.get(kind.strip().lower(), table.get("other", 0.0))

    def flow(self, s: float, d: float) -> float:
        """The flow term F in score units from the decayed weight sum ``s`` and confidence sum
        ``d``: S itself in ``sum`` mode; in ``mean`` mode K·artanh(M/10) of the decayed mean
        Goldstein M = S/D, so that with no stock the index is exactly 10·M."""
        if self.mode == "sum":
            return s
        if d <= 0:
            return 0.0
        m = max(-_EDGE, min(_EDGE, s / d / 10.0))
        return self.scale * math.atanh(m)

    def index(self, b: float, s: float, d: float) -> float:
        """The index I = 100·tanh((B + F)/K) in [-100, 100] from the stock ``b`` and the
        flow sums ``s`` and ``d`` (see :meth:`flow`)."""
        if self.mode == "mean" and b == 0.0:
            return 10.0 * s / d if d > 0 else 0.0
        return 100.0 * math.tanh((b + self.flow(s, d)) / self.scale)

    def faded(self, days_since_last_event: int | None) -> bool:
        """True when the last event is so old that the flow no longer carries the reading."""
        if days_since_last_event is None:
            return True
        return days_since_last_event > self.faded_half_lives * self.half_life_days

    def band(self, index: float) -> Band:
        for band in self.bands:
            if index >= band.lower:
                return band
        return self.bands[-1]

    def band_edges(self, label: str) -> tuple[float, float]:
        return self._edges.get(label, (-math.inf, math.inf))

    @cached_property
    def _edges(self) -> dict[str, tuple[float, float]]:
        """``label -> (lower, upper)`` of its (first) band: asked once per checkpoint, so
        looked up rather than searched."""
        edges: dict[str, tuple[float, float]] = {}
        for i, band in enumerate(self.bands):
            edges.setdefault(band.label, (band.lower, self.bands[i - 1].lower if i else math.inf))
        return edges

    def next_label(self, previous: str, index: float) -> str:
        """Hysteresis: keep the previous band's label until the index leaves that band by more
        than the margin; then take the band the index is in."""
        if previous != AT_WAR:
            lower, upper = self.band_edges(previous)
            if lower - self.hysteresis <= index < upper + self.hysteresis:
                return previous
        return self.band(index).label

    # -- identity --------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "half_life_days": self.half_life_days,
            "scale": self.scale,
            "mode": self.mode,
            "hysteresis": self.hysteresis,
            "trend_window_days": self.trend_window_days,
            "bands": [{"label": b.label, "lower": b.lower} for b in self.bands],
            "weights": dict(sorted(self.weights.items())),
            "structure": {
                **dict(sorted(self.structure.items())),
                "agreements": dict(sorted(self.agreements.items())),
                "returns": self.returns,
                "signed_fraction": self.signed_fraction,
            },
            "faded_half_lives": self.faded_half_lives,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ScoringModel:
        """The model :meth:`to_dict` describes (a store's saved model). A model saved before
        the structural stock existed gets today's structural defaults."""
        st = dict(d.get("structure", {}))
        agreements = st.pop("agreements", DEFAULT_AGREEMENTS)
        returns = st.pop("returns", DEFAULT_RETURNS)
        fraction = st.pop("signed_fraction", DEFAULT_SIGNED_FRACTION)
        return cls(
            half_life_days=d["half_life_days"],
            scale=d["scale"],
            mode=d["mode"],
            hysteresis=d["hysteresis"],
            trend_window_days=d["trend_window_days"],
            bands=tuple(Band(b["label"], b["lower"]) for b in d["bands"]),
            weights=MappingProxyType(dict(d["weights"])),
            structure=MappingProxyType(st) if "structure" in d else DEFAULT_STRUCTURE,
            agreements=MappingProxyType(dict(agreements)),
            returns=float(returns),
            signed_fraction=float(fraction),
            faded_half_lives=float(d.get("faded_half_lives", 2.0)),
        )

    @cached_property
    def memo(self) -> dict[Any, Any]:
        """A per-model memo for pure functions of the model (the stock of a status): the
        model is immutable, so what is computed from it stays valid."""
        return {}

    @cached_property
    def fingerprint(self) -> str:
        import hashlib  # on use: most commands never need a fingerprint
        import json

        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]

    def recorded_as(self, fingerprint: str) -> ScoringModel:
        """This model, taking the fingerprint recorded beside it (in a store) as its own, so
        that opening a store for a query never hashes: hashing would cost a query's start-up
        the hashlib import. ``replay`` recomputes the fingerprint and reports a mismatch; a
        query given another model compares fingerprints and, if they differ, folds."""
        self.__dict__["fingerprint"] = fingerprint
        return self


_FIELDS: tuple[str, ...] = ScoringModel.__match_args__

RANGES: tuple[tuple[str, float, float], ...] = (
    ("half_life_days", 1.0, 36_500.0),  # a day to a century
    ("scale", 0.001, 1_000_000.0),
    ("hysteresis", 0.0, 50.0),  # (strictly below 50: checked apart)
    ("trend_window_days", 1, 36_500),
)
"""The documented range of each numeric setting (inclusive; every value must be finite)."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check(ok: bool, name: str, value: Any, reason: str) -> None:
    if not ok:
        raise ModelError(field_message(name, value, reason), field=name, value=value)


_EDGE = 1.0 - 1e-12
"""|M/10| is clipped here in ``mean`` mode so that artanh stays finite at a mean of ±10."""

DEFAULT_MODEL = ScoringModel()


def _number(name: str, value: Any) -> float:
    """A TOML number as a float (a string, boolean or table is refused, not coerced)."""
    _check(_is_number(value), name, value, "must be a number")
    return float(value)


_FLOATS = ("half_life_days", "scale", "hysteresis", "faded_half_lives")


def parse_model(text: str, *, source: str = "model") -> ScoringModel:
    """A model from TOML text; keys not given keep their defaults, unknown keys are errors."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"not valid TOML ({exc})", field="model").at(source=source) from None
    known = {
        "half_life_days",
        "scale",
        "mode",
        "hysteresis",
        "trend_window_days",
        "bands",
        "weights",
        "structure",
        "faded_half_lives",
    }
    for key in data:
        _check(key in known, key, data[key], f"unknown model setting (known: {sorted(known)})")
    kwargs: dict[str, Any] = {}
    try:
        for key in _FLOATS:
            if key in data:
                kwargs[key] = _number(key, data[key])
        if "trend_window_days" in data:
            days = _number("trend_window_days", data["trend_window_days"])
            _check(
                math.isfinite(days) and days == int(days),
                "trend_window_days",
                data["trend_window_days"],
                "must be a whole number of days",
            )
            kwargs["trend_window_days"] = int(days)
        if "mode" in data:
            kwargs["mode"] = data["mode"]
        if "bands" in data:
            bands = data["bands"]
            _check(
                isinstance(bands, list) and all(isinstance(b, dict) for b in bands),
                "bands",
                bands,
                "must be an array of tables ([[bands]] with label and lower)",
            )
            kwargs["bands"] = tuple(
                Band(str(b["label"]), _number("bands.lower", b["lower"])) for b in bands
            )
        if "weights" in data:
            weights = data["weights"]
            _check(
                isinstance(weights, dict),
                "weights",
                weights,
                "must be a table ([weights] with type = number lines)",
            )
            kwargs["weights"] = MappingProxyType(
                {str(k): _number(f"weights.{k}", v) for k, v in weights.items()}
            )
        if "structure" in data:
            kwargs.update(_structure(data["structure"]))
    except KeyError as exc:
        raise ModelError(f"malformed setting (missing {exc})", field="model").at(
            source=source
        ) from None
    except TrackerError as exc:
        raise exc.at(source=source) from None
    try:
        return ScoringModel(**kwargs)
    except TrackerError as exc:
        raise exc.at(source=source) from None


def _structure(table: Any) -> dict[str, Any]:
    """The ``[structure]`` table: scalar terms given replace their defaults; an
    ``[structure.agreements]`` table replaces the listed kinds' weights."""
    _check(isinstance(table, dict), "structure", table, "must be a table ([structure])")
    out: dict[str, Any] = {}
    scalars = dict(DEFAULT_STRUCTURE)
    for key, value in table.items():
        if key == "agreements":
            _check(
                isinstance(value, dict),
                "structure.agreements",
                value,
                "must be a table ([structure.agreements] with kind = number lines)",
            )
            kinds = dict(DEFAULT_AGREEMENTS)
            kinds.update(
                {str(k).strip().lower(): _number(f"structure.{k}", v) for k, v in value.items()}
            )
            out["agreements"] = MappingProxyType(kinds)
        elif key in ("returns", "signed_fraction"):
            out[key] = _number(f"structure.{key}", value)
        else:
            _check(
                key in STRUCTURE_KEYS,
                f"structure.{key}",
                value,
                f"unknown structural term (known: {', '.join(STRUCTURE_KEYS)}, agreements, "
                "returns, signed_fraction)",
            )
            scalars[key] = _number(f"structure.{key}", value)
    out["structure"] = MappingProxyType(scalars)
    return out
