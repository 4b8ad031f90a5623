"""Artifact checks: the model file format (DC01) and its SHA-256 against a pin (DC04)."""

from __future__ import annotations

from safedl.deploy.context import CheckContext
from safedl.deploy.targets import PICKLE_MODEL_SUFFIXES, SAFE_MODEL_SUFFIXES
from safedl.deploy.types import Location, Outcome, Severity


def check_format(ctx: CheckContext) -> Outcome:
    """DC01: every model file is safetensors or ONNX (pickle formats fail unless waived)."""
    models = ctx.files.models
    if not models:
        return Outcome.skipped("no model files under the given paths")
    safe, pickled, other = [], [], []
    for path in models:
        suffix = path.suffix.lower()
        if suffix in SAFE_MODEL_SUFFIXES:
            safe.append(path)
        elif suffix in PICKLE_MODEL_SUFFIXES:
            pickled.append(path)
        else:
            other.append(path)
    details = tuple(
        [f"{ctx.display(p)}: pickle-based ({p.suffix}), loading it can run code" for p in pickled]
        + [f"{ctx.display(p)}: {p.suffix} can carry code (Lambda layers, graph ops)" for p in other]
    )
    if ctx.options.allow_pickle:
        if not other:
            if pickled:
                return Outcome.skipped(
                    f"waived by allow_pickle for {len(pickled)} pickle-based file(s); the pickle "
                    "scan (DC02) still applies",
                    details=details,
                )
            return Outcome.passed(f"{len(safe)} model file(s), all safetensors or ONNX")
        pickled = []
    if not pickled and not other:
        names = ", ".join(ctx.display(p) for p in safe)
        return Outcome.passed(f"{len(safe)} model file(s), all safetensors or ONNX: {names}")
    bad = pickled + other
    names = ", ".join(ctx.display(p) for p in bad)
    return Outcome.failed(
        f"{len(bad)} of {len(models)} model file(s) use an executable format: {names}",
        details=details,
        locations=tuple(Location(ctx.display(p)) for p in bad),
        severity=None if pickled else Severity.MEDIUM,
        severity_reason=""
        if pickled
        else "no pickle: Keras/TF formats run code only when loaded unsafely",
    )


def check_pinned_hash(ctx: CheckContext) -> Outcome:
    """DC04: each model file's SHA-256 equals its pin (config) or the assessed artifact's."""
    models = ctx.files.models
    if not models:
        return Outcome.skipped("no model files under the given paths")
    checked, mismatched, unpinned = [], [], []
    sources = set()
    for path in models:
        expected, source = ctx.expected_hashes(path)
        if not expected:
            unpinned.append(path)
            continue
        sources.add(source)
        digest = ctx.sha256(path)
        checked.append(path)
        if digest not in expected:
            mismatched.append((path, digest, expected, source))
    if not checked:
        if ctx.evidence is not None:
            return Outcome.skipped(
                f"the --run record names no assessed artifact that exists under "
                f"{ctx.display(ctx.evidence.run_dir)} (baseline artifact or weights); set "
                "pinned_sha256 in the deploy config"
            )
        return Outcome.skipped(
            "no pinned hash to compare with: pass --run RUN_DIR (the assessed artifact) or set "
            "pinned_sha256 in the deploy config"
        )
    details = tuple(f"{ctx.display(p)}: not pinned" for p in unpinned)
    if mismatched:
        lines = tuple(
            f"{ctx.display(p)}: sha256 {d[:16]}… ≠ {', '.join(sorted(e))[:16]}… ({s})"
            for p, d, e, s in mismatched
        )
        return Outcome.failed(
            f"{len(mismatched)} of {len(checked)} pinned model file(s) differ from the pin: "
            + ", ".join(ctx.display(p) for p, *_ in mismatched),
            details=lines + details,
            locations=tuple(Location(ctx.display(p)) for p, *_ in mismatched),
        )
    return Outcome.passed(
        f"{len(checked)} model file(s) match {' and '.join(sorted(sources))}", details=details
    )


__all__ = ["check_format", "check_pinned_hash"]
