"""The scoring model: defaults, TOML files, fingerprints, bad settings."""

from __future__ import annotations

import math

import pytest

from events.errors import TrackerError
from projections.model import DEFAULT_MODEL, ModelError, ScoringModel, parse_model


def test_an_empty_model_file_is_the_default_model() -> None:
    assert parse_model("").fingerprint == DEFAULT_MODEL.fingerprint


def test_the_fingerprint_changes_with_any_setting() -> None:
    seen = {DEFAULT_MODEL.fingerprint}
    for text in (
        "half_life_days = 100",
        "scale = 10",
        'mode = "mean"',
        "hysteresis = 1",
        "trend_window_days = 30",
        "[weights]\npraise = 1.0",
    ):
        fp = parse_model(text).fingerprint
        assert fp not in seen
        seen.add(fp)


def test_settings_from_a_file_replace_the_defaults() -> None:
    m = parse_model('half_life_days = 30\nmode = "mean"\n[weights]\ncongratulate = 2')
    assert (m.half_life_days, m.mode, dict(m.weights)) == (30.0, "mean", {"congratulate": 2.0})
    assert m.scale == DEFAULT_MODEL.scale


def test_the_index_is_bounded_and_odd() -> None:
    m = DEFAULT_MODEL
    assert m.index(0.0, 1e9, 1) == pytest.approx(100)
    assert m.index(0.0, -1e9, 1) == pytest.approx(-100)
    assert m.index(0.0, 3.0, 1) == -m.index(0.0, -3.0, 1)
    assert m.index(0.0, m.scale, 1) == pytest.approx(100 * math.tanh(1))


def test_the_index_adds_stock_and_flow_inside_the_tanh() -> None:
    m = DEFAULT_MODEL
    assert m.index(30.0, -10.0, 1) == pytest.approx(100 * math.tanh(20.0 / m.scale))
    assert m.index(30.0, 0.0, 0) == m.index(0.0, 30.0, 1)


def test_mean_mode_indexes_the_decayed_mean_goldstein_value() -> None:
    m = parse_model('mode = "mean"')
    assert m.index(0.0, -14.0, 2.0) == pytest.approx(-70.0)
    assert m.index(0.0, 0.0, 0.0) == 0.0


@pytest.mark.parametrize("mean", [-10.0, -7.0, 0.0, 3.5, 9.99, 10.0])
def test_mean_mode_with_stock_adds_it_to_the_flow_that_reads_ten_times_the_mean(
    mean: float,
) -> None:
    m = parse_model('mode = "mean"')
    flow = m.flow(mean * 2.0, 2.0)
    assert 100 * math.tanh(flow / m.scale) == pytest.approx(10 * mean, abs=1e-9)
    assert m.index(12.0, mean * 2.0, 2.0) == pytest.approx(100 * math.tanh((12.0 + flow) / m.scale))


def zero_structure_file() -> str:
    from projections.model import DEFAULT_AGREEMENTS, STRUCTURE_KEYS

    lines = ["[structure]", *(f"{k} = 0" for k in STRUCTURE_KEYS), "[structure.agreements]"]
    lines += [f'"{k}" = 0' for k in DEFAULT_AGREEMENTS]
    return "\n".join(lines)


def test_all_structural_weights_at_zero_leave_no_stock() -> None:
    m = parse_model(zero_structure_file())
    assert all(w == 0 for w in m.structure.values())
    assert all(w == 0 for w in m.agreements.values())
    assert m.fingerprint != DEFAULT_MODEL.fingerprint


@pytest.mark.parametrize(
    "text",
    [
        "[structure]\nconflict_active = -41",
        "[structure]\nreturns = 0.4",
        "[structure]\nsigned_fraction = 0.5",
        '[structure.agreements]\n"mutual defence" = 29',
        "faded_half_lives = 3",
    ],
)
def test_the_fingerprint_covers_the_structural_terms(text: str) -> None:
    assert parse_model(text).fingerprint != DEFAULT_MODEL.fingerprint


def test_a_saved_model_reads_back_with_the_same_fingerprint() -> None:
    m = parse_model("[structure]\nsanctions = -3\n[structure.agreements]\ncustoms = 2")
    assert ScoringModel.from_dict(m.to_dict()).fingerprint == m.fingerprint


def test_a_model_saved_before_the_stock_existed_reads_with_todays_structure() -> None:
    d = DEFAULT_MODEL.to_dict()
    del d["structure"], d["faded_half_lives"]
    assert ScoringModel.from_dict(d).fingerprint == DEFAULT_MODEL.fingerprint


def test_decay_halves_over_one_half_life() -> None:
    assert DEFAULT_MODEL.decay(int(DEFAULT_MODEL.half_life_days)) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("half_life_days = 0", "half_life_days"),
        ("scale = -1", "scale"),
        ('mode = "median"', "mode"),
        ("hysteresis = 70", "hysteresis"),
        ("trend_window_days = 0", "trend_window_days"),
        ("colour = 1", "colour"),
        ("[weights]\npraize = 1", "type"),
        ("[weights]\npraise = 11", "weights.praise"),
        ('[[bands]]\nlabel = "x"\nlower = 0', "bands"),
        ("half_life_days = ", "model"),
        ("[structure]\nconflict_hot = -5", "structure.conflict_hot"),
        ("[structure]\nconflict_active = -500", "structure.conflict_active"),
        ("[structure]\nreturns = 1.5", "structure.returns"),
        ("[structure]\nsigned_fraction = -0.1", "structure.signed_fraction"),
        ("[structure.agreements]\nalliance = 101", "structure.alliance"),
        ("faded_half_lives = 0", "faded_half_lives"),
        ("structure = 3", "structure"),
        ("[structure]\nagreements = 3", "structure.agreements"),
        ("[structure]\nsanctions = inf", "structure.sanctions"),
        ("[structure]\nsanctions = 'x'", "structure.sanctions"),
        ("half_life_days = 'ten'", "half_life_days"),
        # non-finite or out of the documented range (issue 13)
        ("half_life_days = inf", "half_life_days"),
        ("half_life_days = nan", "half_life_days"),
        ("half_life_days = 1e9", "half_life_days"),
        ("scale = inf", "scale"),
        ("scale = 1e-9", "scale"),
        ("hysteresis = -inf", "hysteresis"),
        ("hysteresis = true", "hysteresis"),
        ("trend_window_days = inf", "trend_window_days"),
        ("trend_window_days = 1e18", "trend_window_days"),
        ("trend_window_days = 1.5", "trend_window_days"),
        ('weights = "x"', "weights"),
        ("weights = 3", "weights"),
        ("[weights]\npraise = inf", "weights.praise"),
        ("[weights]\npraise = 'x'", "weights.praise"),
        ("bands = 3", "bands"),
        ('bands = ["x"]', "bands"),
        ('[[bands]]\nlabel = "x"\nlower = inf', "bands.x.lower"),
        ('[[bands]]\nlabel = "x"\nlower = -1e300', "bands.x.lower"),
        ('[[bands]]\nlabel = "\\u001b[2J"\nlower = -100', "bands.label"),
    ],
)
def test_bad_model_settings_are_named(text: str, field: str) -> None:
    with pytest.raises(TrackerError) as err:
        parse_model(text, source="m.toml")
    assert err.value.field == field
    assert "m.toml" in str(err.value) or field in str(err.value)


def test_model_errors_are_tracker_errors() -> None:
    assert issubclass(ModelError, TrackerError)


def test_a_model_is_immutable_and_equal_to_one_with_the_same_settings() -> None:
    from dataclasses import FrozenInstanceError

    m = parse_model("half_life_days = 90")
    assert m == parse_model("half_life_days = 90") and m != DEFAULT_MODEL
    assert m.replace(half_life_days=180.0) == DEFAULT_MODEL
    assert m.replace(mode="mean").mode == "mean" and m.mode == "sum"
    assert repr(DEFAULT_MODEL).startswith("ScoringModel(half_life_days=180.0, scale=50.0, ")
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'scale'"):
        m.scale = 1.0  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del m.scale
    with pytest.raises(ModelError, match="half_life_days"):
        m.replace(half_life_days=0.0)
    with pytest.raises(TypeError):
        hash(m)  # (its tables are mappings, as a frozen dataclass's would be)
