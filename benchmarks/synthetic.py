"""Synthetic benchmark data: the tracker's own JSON Lines, and GDELT 2.0 exports.

Both are deterministic for a seed. JSON Lines: N events over the 1,770 dyads of 60 countries,
dates 2000-2024, types drawn from the vocabulary's non-structural types plus 0.2 % structural
ones, confidences 0.7-1, random UUID event ids. GDELT: 61 tab-separated columns, no header,
events between 60 countries (all 1,770 dyads), CAMEO codes drawn from the whole table with their
Goldstein values, 1-10 sources, dates running forward over a year with 10 % of the rows reported
late (1-30 days backdated), as in a stream of daily GDELT files.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

COUNTRIES = 60
START = date(2000, 1, 1)
DAYS = (date(2024, 12, 31) - START).days


def _vocabulary() -> tuple[list[str], dict[str, dict[str, Any]]]:
    from events.models import EVENT_CLASSES
    from events.vocabulary import catalogue

    simple = [
        name
        for name, info in catalogue().items()
        if not info.effects
        and info.cameo_code
        and not any(f.is_required() for f in EVENT_CLASSES[name].specific_fields().values())
    ]
    structural = {
        "sign_agreement": {"name": "Trade agreement"},
        "impose_sanctions": {"regime": "Export controls"},
        "lift_sanctions": {"regime": "Export controls"},
        "sever_relations": {},
        "restore_relations": {},
    }
    return simple, structural


def generate_jsonl(n: int, path: Path, seed: int = 1) -> None:
    """N events as JSON Lines (the hand-written form: one flat event per line)."""
    from events.parties import parties

    rng = random.Random(seed)
    codes = sorted(p.code for p in parties().values() if p.kind == "country")[:COUNTRIES]
    simple, structural = _vocabulary()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for _ in range(n):
            actor, target = rng.sample(codes, 2)
            kind = rng.choice(list(structural)) if rng.random() < 0.002 else rng.choice(simple)
            event: dict[str, Any] = {
                "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "type": kind,
                "actor": actor,
                "target": target,
                "occurred_on": (START + timedelta(days=rng.randrange(DAYS))).isoformat(),
                "confidence": rng.choice((1.0, 1.0, 0.9, 0.7)),
                "source": "synthetic benchmark data",
                **structural.get(kind, {}),
            }
            out.write(json.dumps(event, separators=(",", ":")) + "\n")


GDELT_COUNTRIES = (
    "USA",
    "RUS",
    "CHN",
    "GBR",
    "FRA",
    "DEU",
    "JPN",
    "IND",
    "BRA",
    "ZAF",
    "PRK",
    "KOR",
    "IRN",
    "IRQ",
    "ISR",
    "SYR",
    "TUR",
    "SAU",
    "EGY",
    "PAK",
    "AFG",
    "UKR",
    "POL",
    "ITA",
    "ESP",
    "CAN",
    "MEX",
    "AUS",
    "IDN",
    "VNM",
    "PHL",
    "THA",
    "MYS",
    "SGP",
    "NGA",
    "KEN",
    "ETH",
    "SDN",
    "LBY",
    "DZA",
    "MAR",
    "TUN",
    "JOR",
    "LBN",
    "QAT",
    "ARE",
    "KWT",
    "OMN",
    "YEM",
    "CUB",
    "VEN",
    "COL",
    "ARG",
    "CHL",
    "PER",
    "GRC",
    "SRB",
    "BLR",
    "KAZ",
    "NZL",
)
assert len(GDELT_COUNTRIES) == 60


def generate_gdelt(path: Path, rows: int, seed: int = 1) -> None:
    """N rows of GDELT 2.0 (61 columns), deterministic for a seed."""
    from events.vocabulary import cameo_codes

    rng = random.Random(seed)
    codes = [(c.code, c.goldstein) for c in cameo_codes().values()]
    names = {c: f"{c} NAME" for c in GDELT_COUNTRIES}
    start = date(2023, 1, 1)
    span = 365
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        lines = []
        for i in range(rows):
            a, b = rng.sample(GDELT_COUNTRIES, 2)
            code, gold = rng.choice(codes)
            day = start + timedelta(days=i * span // max(rows, 1))
            if rng.random() < 0.1:
                day -= timedelta(days=rng.randint(1, 30))
            sqldate = day.strftime("%Y%m%d")
            sources = rng.randint(1, 10)
            mentions = sources * rng.randint(1, 4)
            goldstein = f"{gold:.0f}" if gold.is_integer() and rng.random() < 0.3 else f"{gold}"
            fields = [
                str(1_000_000_000 + i),
                sqldate,
                sqldate[:6],
                sqldate[:4],
                f"{day.year + day.timetuple().tm_yday / 365:.4f}",
                a,
                names[a],
                a,
                "",
                "",
                "",
                "",
                "GOV",
                "",
                "",
                b,
                names[b],
                b,
                "",
                "",
                "",
                "",
                "GOV",
                "",
                "",
                "1",
                code,
                code[:3],
                code[:2],
                str(1 + (int(code[:2]) - 1) // 5),
                goldstein,
                str(mentions),
                str(sources),
                str(mentions),
                f"{rng.uniform(-10, 10):.6f}",
                "1",
                names[a].title(),
                a[:2],
                a[:2],
                "",
                "10.0",
                "20.0",
                "-1",
                "1",
                names[b].title(),
                b[:2],
                b[:2],
                "",
                "30.0",
                "40.0",
                "-2",
                "1",
                names[b].title(),
                b[:2],
                b[:2],
                "",
                "30.0",
                "40.0",
                "-2",
                day.strftime("%Y%m%d") + "120000",
                f"https://news.example.com/{day.year}/{i}.html",
            ]
            assert len(fields) == 61, len(fields)
            lines.append("\t".join(fields))
            if len(lines) >= 10_000:
                out.write("\n".join(lines) + "\n")
                lines.clear()
        if lines:
            out.write("\n".join(lines) + "\n")
