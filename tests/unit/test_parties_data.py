"""The shipped ISO 3166 code table must match pycountry, its source."""

import pycountry

from events.parties import parties


def test_the_iso_code_table_matches_pycountry() -> None:
    shipped = {p.code for p in parties().values() if p.kind == "country"}
    assert shipped == {c.alpha_3 for c in pycountry.countries}


def test_exact_codes_resolve_without_importing_pycountry() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from events.parties import resolve; "
        "assert resolve('prk') == 'PRK'; print('pycountry' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"


def test_the_tables_a_query_reads_without_csv_read_as_csv_reads_them() -> None:
    """``_columns`` splits lines at commas: right only while the first columns are never quoted
    and no value breaks a line, which this checks of every table it reads."""
    from events.parties import PARTY_TABLES, _columns, _data, codes

    for table, count in [*((t, 1) for t in PARTY_TABLES), ("lifespans.csv", 5)]:
        by_csv = [dict(list(row.items())[:count]) for row in _data(table)]
        assert _columns(table, count) == by_csv, table
    assert codes() == frozenset(parties())
