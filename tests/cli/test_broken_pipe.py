"""A reader that stops early (`tracker types | head -1`) is not an error of the tracker's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TRACKER = Path(sys.executable).with_name("tracker")


def test_a_reader_that_closes_the_pipe_early_gets_no_traceback_and_exit_141(
    tmp_path: Path,
) -> None:
    proc = subprocess.Popen(
        [str(TRACKER), "types"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the command has written anything
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert stderr == ""
    assert not list(tmp_path.iterdir()), "nothing is written beside the command"


def test_a_reader_that_reads_everything_sees_exit_0(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(TRACKER), "types"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 0 and done.stderr == ""
    assert "summit" in done.stdout
