#!/usr/bin/env python3
"""Alias of ``safedl threat-model`` kept from the original usage line.

python threat_model_cli.py                       # the interactive questionnaire
python threat_model_cli.py --preset cloud-api --answers answers.yaml --out my.yaml
python threat_model_cli.py show traffic_signs_profile.yaml
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

GLOBAL_FLAGS = {"-q", "--quiet", "-v", "--verbose"}


def _translate(argv: list[str]) -> list[str]:
    flags = [a for a in argv if a in GLOBAL_FLAGS]
    rest = [a for a in argv if a not in GLOBAL_FLAGS]
    return [*flags, "threat-model", *rest]


if __name__ == "__main__":
    from safedl.cli.legacy import ensure_environment

    ensure_environment(Path(__file__))
    from safedl.cli.app import main

    main(_translate(sys.argv[1:]))
