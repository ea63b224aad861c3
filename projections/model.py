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

Every number must be finite and inside its documented range (see ``RANGES``): half_life_days
1 … 36500, scale 0.001 … 1e6, hysteresis 0 … <50, trend_window_days a whole number 1 … 36500,
band lowers -100 … 100 (the last exactly -100), weights -10 … 10.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from events.errors import TrackerError, field_message


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

AT_WAR = "at war"
NEUTRAL = "neutral"


@dataclass(frozen=True)
class ScoringModel:
    half_life_days: float = 180.0
    """Days for an event's weight to halve (tuned on the demo data, see README)."""
    scale: float = 50.0
    """K in the index 100·tanh(S/K): the score at which the index reaches ±76."""
    mode: Literal["sum", "mean"] = "sum"
    hysteresis: float = 3.0
    trend_window_days: int = 90
    bands: tuple[Band, ...] = DEFAULT_BANDS
    weights: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

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

    # -- numbers ---------------------------------------------------------------------------

    def decay(self, days: int) -> float:
        """The factor 2^(-days/H) by which a score fades over ``days``."""
        return float(2.0 ** (-days / self.half_life_days))

    def index(self, s: float, d: float) -> float:
        """The index in [-100, 100] from the dyad's decayed weight sum ``s`` and confidence sum
        ``d``: 100·tanh(S/K) in ``sum`` mode, 10 × the decayed mean Goldstein in ``mean``."""
        if self.mode == "mean":
            return 10.0 * s / d if d > 0 else 0.0
        return 100.0 * math.tanh(s / self.scale)

    def band(self, index: float) -> Band:
        for band in self.bands:
            if index >= band.lower:
                return band
        return self.bands[-1]

    def band_edges(self, label: str) -> tuple[float, float]:
        for i, band in enumerate(self.bands):
            if band.label == label:
                upper = self.bands[i - 1].lower if i else math.inf
                return band.lower, upper
        return -math.inf, math.inf

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
        }

    @cached_property
    def fingerprint(self) -> str:
        import hashlib  # on use: most commands never need a fingerprint
        import json

        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


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


DEFAULT_MODEL = ScoringModel()


def _number(name: str, value: Any) -> float:
    """A TOML number as a float (a string, boolean or table is refused, not coerced)."""
    _check(_is_number(value), name, value, "must be a number")
    return float(value)


_FLOATS = ("half_life_days", "scale", "hysteresis")


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
