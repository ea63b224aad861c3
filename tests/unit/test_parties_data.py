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
