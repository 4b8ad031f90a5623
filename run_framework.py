#!/usr/bin/env python3
"""Alias of ``safedl run`` kept from the original usage line.

    python run_framework.py --profile traffic_signs_profile.yaml [--out DIR] [--seed N] [--device D]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))


GLOBAL_FLAGS = {"-q", "--quiet", "-v", "--verbose"}


def _translate(argv: list[str]) -> list[str]:
    flags, args, profile = [], [], None
    it = iter(argv)
    for arg in it:
        if arg == "--profile":
            profile = next(it, None)
        elif arg.startswith("--profile="):
            profile = arg.split("=", 1)[1]
        elif arg in GLOBAL_FLAGS:
            flags.append(arg)
        else:
            args.append(arg)
    return [*flags, "run", *([profile] if profile else []), *args]


if __name__ == "__main__":
    from safedl.cli.legacy import ensure_environment

    ensure_environment(Path(__file__))
    from safedl.cli.app import main

    main(_translate(sys.argv[1:]))
