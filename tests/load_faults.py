"""Faults for the load's crash and lock tests, injected through the pipeline's seam
(``generator.load.pipeline.checkpoint``), never through the product's configuration.

In the test process: ``monkeypatch.setattr(pipeline, "checkpoint", fault("fail:staged"))``. In a child process
(a load to kill, or one holding the lock while another waits): run this file as the CLI,
``python tests/load_faults.py pause:staged load --source ...``; it patches the seam, then calls ``gen-measures``'s
own entry point with the remaining arguments.

A fault is ``fail:<phase>`` (raise a ToolError there: the load rolls back and the CLI exits 2) or
``pause:<phase>`` (print ``paused at <phase>`` on stderr and wait to be killed). Phases: ``staged``,
``merged:<BI table>``, ``watermarks``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve()


def fault(spec: str) -> Callable[[str], None]:
    """A replacement for the pipeline's ``checkpoint`` that fails or pauses at the phase ``spec`` names."""
    action, _, where = spec.partition(":")
    if action not in ("fail", "pause") or not where:
        raise ValueError(f"a fault is fail:<phase> or pause:<phase>, not {spec!r}")

    def checkpoint(phase: str) -> None:
        if phase != where:
            return
        if action == "fail":
            from generator.errors import ToolError

            raise ToolError(f"injected failure at {phase}")
        print(f"paused at {phase}", file=sys.stderr, flush=True)
        time.sleep(600)  # the test kills the process long before

    return checkpoint


def command(spec: str, *args: str) -> list[str]:
    """The argv of ``gen-measures <args>`` run in a child process with the fault ``spec`` in place."""
    return [sys.executable, str(SCRIPT), spec, *args]


def main(argv: list[str]) -> None:
    """Patch the seam with the fault ``argv[0]``, then run the CLI on the rest."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from generator import cli
    from generator.load import pipeline

    pipeline.checkpoint = fault(argv[0])
    sys.argv = ["gen-measures", *argv[1:]]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
