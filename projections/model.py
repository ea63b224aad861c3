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
        _check(self.half_life_days > 0, "half_life_days", self.half_life_days, "must be > 0")
        _check(self.scale > 0, "scale", self.scale, "must be > 0")
        _check(self.mode in ("sum", "mean"), "mode", self.mode, "must be 'sum' or 'mean'")
        _check(0 <= self.hysteresis < 50, "hysteresis", self.hysteresis, "must be in [0, 50)")
        _check(
            self.trend_window_days >= 1, "trend_window_days", self.trend_window_days, "must be >= 1"
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
        for name, w in self.weights.items():
            from events.vocabulary import type_info

            type_info(name)
            _check(-10 <= w <= 10, f"weights.{name}", w, "must be in [-10, 10]")

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


def _check(ok: bool, name: str, value: Any, reason: str) -> None:
    if not ok:
        raise ModelError(field_message(name, value, reason), field=name, value=value)


DEFAULT_MODEL = ScoringModel()

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
                kwargs[key] = float(data[key])
        if "trend_window_days" in data:
            kwargs["trend_window_days"] = int(data["trend_window_days"])
        if "mode" in data:
            kwargs["mode"] = data["mode"]
        if "bands" in data:
            kwargs["bands"] = tuple(Band(str(b["label"]), float(b["lower"])) for b in data["bands"])
        if "weights" in data:
            kwargs["weights"] = MappingProxyType(
                {str(k): float(v) for k, v in data["weights"].items()}
            )
    except (TypeError, ValueError, KeyError) as exc:
        raise ModelError(f"malformed setting ({exc})", field="model").at(source=source) from None
    try:
        return ScoringModel(**kwargs)
    except TrackerError as exc:
        raise exc.at(source=source) from None
