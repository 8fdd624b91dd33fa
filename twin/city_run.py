"""Measuring the whole city from the viewer: ``twin batch --all`` as a run of its own.

The City page starts the command line's own run (so its figures are the CLI's) into the results
folder and follows it there: the run writes its progress to ``batch.log`` and its process id to
``batch.pid`` in that folder, and goes on whatever the page does (a rerun, a closed tab, a second
visitor, who joins it). :func:`city_run` reads where a run stands from those two files, on any
visit, in any process.

The child inherits the environment the viewer's settings were read from. twin writes a run only
into a folder that is new, empty, or already holds twin batch results, never into one holding
other files.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from twin._errors import InvalidInputError, TwinError
from twin.city import SUMMARY
from twin.i18n import N_

LOG, PID = "batch.log", "batch.pid"
FINISHED = re.compile(r"\[(\d+)/(\d+)\] ([\w-]+): (done|FAILED)")  # twin batch's district line
ERROR = re.compile(r"^twin: error: (.*)$")

_CHILDREN: dict[Path, subprocess.Popen[bytes]] = {}  # runs this process started, to reap them
_LOCK = threading.RLock()  # the viewer's sessions are threads of one process


class CityRunError(TwinError):
    """A city run stopped without writing its table."""


@dataclass(frozen=True)
class CityRun:
    """Where a city run stands: ``finished`` lists (district slug, measured) in the order the
    districts finished, ``total`` is the number asked for (None until the first finishes);
    ``error`` says why a run that has stopped wrote no table ("" when it did, or runs)."""

    running: bool
    finished: tuple[tuple[str, bool], ...]
    total: int | None
    error: str


def _alive(folder: Path) -> bool:
    """Whether the run whose id ``folder`` (resolved) holds is still running."""
    with _LOCK:
        ended = [where for where, child in _CHILDREN.items() if child.poll() is not None]
        for where in ended:  # poll() reaps a run of ours that has ended: never a zombie's id
            del _CHILDREN[where]
        if folder in _CHILDREN:
            return True
    try:
        pid = int((folder / PID).read_text(encoding="ascii").strip())
        os.kill(pid, 0)  # another process's run (a restarted viewer's): init reaps it
    except (OSError, ValueError):
        return False
    return True


def _written_since_start(folder: Path) -> bool:
    """Whether the city table was written after the run began (its id file's time)."""
    try:
        started = (folder / PID).stat().st_mtime_ns
        return (folder / SUMMARY).stat().st_mtime_ns >= started
    except OSError:
        return False


def city_run(folder: Path) -> CityRun | None:
    """The run last started in ``folder``, from its log; None when none was."""
    folder = Path(folder).resolve()
    try:
        lines = (folder / LOG).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    finished, total, error = [], None, ""
    for line in lines:
        if match := FINISHED.search(line):
            finished.append((match.group(3), match.group(4) == "done"))
            total = int(match.group(2))
        elif match := ERROR.match(line.strip()):
            error = match.group(1)
    running = _alive(folder)
    written = _written_since_start(folder)
    if running or written:
        error = ""
    elif not error:
        said = " / ".join(line.strip() for line in lines[-3:] if line.strip()) or "no output"
        error = N_("twin batch stopped without writing a city table: {said}").format(said=said)
    return CityRun(running, tuple(finished), total, error)


def _writable(folder: Path) -> None:
    """Refuse a folder that holds anything but twin batch results (or is a file)."""
    if folder.exists() and not folder.is_dir():
        msg = N_("{folder} is a file, not a folder; choose a folder for the city results.")
        raise InvalidInputError(msg.format(folder=folder))
    ours = (folder / SUMMARY).is_file() or (folder / LOG).is_file()
    if folder.is_dir() and not ours and any(folder.iterdir()):
        msg = N_("{folder} holds other files; choose a new or empty folder for the city "
                 "results (twin writes only into its own).")  # fmt: skip
        raise InvalidInputError(msg.format(folder=folder))


def start_city_run(folder: Path, districts: Sequence[str] = ()) -> None:
    """Start ``twin batch --all --out folder`` (or of ``districts``) as a run of its own (the
    module docstring); a run already going on in ``folder`` is joined, not started twice."""
    folder = Path(folder).resolve()
    with _LOCK:
        _writable(folder)
        if _alive(folder):
            return
        folder.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "twin.cli", "batch", *(districts or ["--all"]),
                f"--out={folder}"]  # fmt: skip
        with open(folder / LOG, "wb") as log:
            child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        _CHILDREN[folder] = child
        (folder / PID).write_text(f"{child.pid}\n", encoding="ascii")


def wait_for_city_run(folder: Path, timeout_s: float, every_s: float = 0.5) -> CityRun:
    """Wait until the run in ``folder`` stops (at most ``timeout_s``); where it stands then.
    Raises :class:`CityRunError` when it stopped without a table."""
    deadline = time.monotonic() + timeout_s
    while (run := city_run(folder)) is not None and run.running and time.monotonic() < deadline:
        time.sleep(every_s)
    if run is None:
        raise CityRunError(f"no city run was started in {folder}.")
    if run.error:
        raise CityRunError(run.error)
    return run
