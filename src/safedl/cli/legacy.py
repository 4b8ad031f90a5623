"""Support for the repository-root aliases ``run_framework.py`` and ``threat_model_cli.py``.

They may be started with any ``python``. When that interpreter lacks Safe-DL's dependencies but
the repository's ``.venv`` exists, the alias re-runs itself there; otherwise it says how to set
up, with exit code 2, instead of a traceback.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

NEEDED = ("torch", "pydantic", "typer", "rich", "yaml")


def ensure_environment(script: Path) -> None:
    """Re-execute ``script`` with the repo's venv, or exit 2 with setup instructions."""
    missing = [m for m in NEEDED if importlib.util.find_spec(m) is None]
    if not missing:
        return
    venv = script.resolve().parent / ".venv"
    venv_python = venv / "bin" / "python"
    if venv_python.exists() and Path(sys.prefix).resolve() != venv.resolve():
        os.execv(str(venv_python), [str(venv_python), str(script), *sys.argv[1:]])
    sys.stderr.write(
        f"error: this Python ({sys.executable}) lacks Safe-DL's dependencies "
        f"({', '.join(missing)}).\n  hint: run `bash scripts/setup.sh` in the repository, "
        "then run this command again\n"
    )
    sys.exit(2)
