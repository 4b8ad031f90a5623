"""DC05: verify model signatures with Sigstore's ``model_signing``, offline, with a local key.

A signature is ``<model file>.sig`` next to the model: a Sigstore bundle as written by
``model_signing sign key --private_key KEY.pem MODEL --signature MODEL.sig`` (or
``model_signing.signing.Config().use_elliptic_key_signer(private_key=...).sign(model, sig)``).
It verifies against ``signing.public_key`` from the deploy config. A keyless bundle (a
certificate from Sigstore's public instance) needs the Sigstore trust root and transparency
log, so it cannot be verified offline: it is reported as skipped, never passed.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from safedl.deploy.context import CheckContext
from safedl.deploy.types import Location, Outcome

log = logging.getLogger(__name__)
INSTALL_HINT = "pip install 'safedl[deploy]' (model-signing)"


def signature_for(model: Path) -> Path | None:
    """The signature file next to ``model``, if any."""
    for candidate in (model.with_name(model.name + ".sig"), model.with_suffix(".sig")):
        if candidate.is_file():
            return candidate
    return None


def _keyless(bundle: Path) -> bool:
    """True for a bundle signed with a Sigstore certificate (not a bare public key)."""
    try:
        data: Any = json.loads(bundle.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    material = data.get("verificationMaterial") if isinstance(data, dict) else None
    return isinstance(material, dict) and (
        "certificate" in material or "x509CertificateChain" in material
    )


def verify(model: Path, signature: Path, public_key: Path) -> str:
    """'' when ``signature`` verifies ``model`` with ``public_key``, else the reason."""
    import model_signing

    try:
        model_signing.verifying.Config().use_elliptic_key_verifier(public_key=public_key).verify(
            model, signature
        )
    except Exception as exc:  # the library raises ValueError, OSError, crypto errors...
        return f"{type(exc).__name__}: {str(exc)[:300]}"
    return ""


def check_signature(ctx: CheckContext) -> Outcome:
    """DC05: each signature present verifies; unsigned models fail only if required."""
    models = ctx.files.models
    if not models:
        return Outcome.skipped("no model files under the given paths")
    opts = ctx.options.signing
    pairs = [(m, signature_for(m)) for m in models]
    signed = [(m, s) for m, s in pairs if s is not None]
    unsigned = [m for m, s in pairs if s is None]
    if not signed:
        if opts.require_signature:
            return Outcome.failed(
                f"no signature for {len(unsigned)} model file(s) and signing.require_signature "
                "is set: " + ", ".join(ctx.display(m) for m in unsigned),
                locations=tuple(Location(ctx.display(m)) for m in unsigned),
            )
        return Outcome.skipped(
            "no signature next to any model file (<model>.sig); sign with model_signing and set "
            "signing.public_key, or signing.require_signature to make this a failure"
        )
    if opts.public_key is None:
        kind = "keyless Sigstore bundle" if any(_keyless(s) for _, s in signed) else "signature"
        return Outcome.skipped(
            f"{kind} present but no signing.public_key configured; a keyless bundle needs "
            "Sigstore's trust root and transparency log (online), so it is not verified here"
        )
    if not opts.public_key.is_file():
        return Outcome.skipped(f"signing.public_key {opts.public_key}: no such file")
    try:
        import model_signing  # noqa: F401
    except ImportError:
        return Outcome.skipped(f"model_signing is not installed: {INSTALL_HINT}")
    failures: list[tuple[Path, str]] = []
    for model, sig in signed:
        reason = verify(model, sig, opts.public_key)
        log.debug("signature %s: %s", sig, reason or "verified")
        if reason:
            failures.append((model, reason))
    details = [f"{ctx.display(m)}: {r}" for m, r in failures]
    if opts.require_signature:
        details += [f"{ctx.display(m)}: unsigned" for m in unsigned]
    if failures or (opts.require_signature and unsigned):
        bad = [m for m, _ in failures] + (unsigned if opts.require_signature else [])
        return Outcome.failed(
            f"{len(failures)} of {len(signed)} signature(s) do not verify"
            + (f", {len(unsigned)} model file(s) unsigned" if opts.require_signature else "")
            + (f": {details[0]}" if details else ""),
            details=tuple(details),
            locations=tuple(Location(ctx.display(m)) for m in bad),
        )
    note = f"; {len(unsigned)} model file(s) unsigned" if unsigned else ""
    return Outcome.passed(
        f"{len(signed)} signature(s) verify with {ctx.display(opts.public_key)}{note}",
        details=tuple(f"{ctx.display(m)}: unsigned" for m in unsigned),
    )


__all__ = ["check_signature", "signature_for", "verify"]
