"""DC06: no secrets in model directories or configuration files.

The rules are a table: an id, what the secret is, and a regular expression. A match is
reported by file and line with the value redacted. Placeholders (``${VAR}``, ``<token>``,
``changeme``, ``xxxx``) and values read from the environment are not secrets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from safedl.deploy.context import CheckContext
from safedl.deploy.targets import MODEL_SUFFIXES
from safedl.deploy.types import Location, Outcome

MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class SecretRule:
    id: str
    what: str
    pattern: re.Pattern[str]


SECRET_RULES: tuple[SecretRule, ...] = (
    SecretRule(
        "private-key",
        "private key block",
        re.compile(
            r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY( BLOCK)?-----"
        ),
    ),
    SecretRule("aws-access-key", "AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    SecretRule(
        "github-token",
        "GitHub token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{40,})"),
    ),
    SecretRule("slack-token", "Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    SecretRule(
        "openai-key", "OpenAI-style API key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}")
    ),
    SecretRule("huggingface-token", "Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    SecretRule("google-api-key", "Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    SecretRule(
        "jwt",
        "JSON Web Token",
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    ),
    SecretRule(
        "assigned-secret",
        "secret assigned in a config (api_key, token, password, secret)",
        re.compile(
            r"""(?ix)\b[\w.-]*(?:api[_-]?key|access[_-]?key|secret(?:[_-]?key)?|token|
            passw(?:or)?d|passwd)\b["']?\s*[:=]\s*["']?(?P<value>[^\s"'#,;]{12,})"""
        ),
    ),
)

_PLACEHOLDER = re.compile(
    r"(?i)^(?:\$\{?.*|<.*>|x{6,}.*|\*{4,}|changeme.*|change_me.*|example.*|dummy.*|placeholder.*"
    r"|your[_-].*|redacted.*|none|null|true|false|env\..*|os\.environ.*|secrets?\..*)$"
)


def _is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER.match(value)) or len(set(value)) <= 3


def scan_text(text: str) -> list[tuple[int, SecretRule, str]]:
    """(line number, rule, redacted match) of every secret in ``text``."""
    hits = []
    for number, line in enumerate(text.splitlines(), start=1):
        for rule in SECRET_RULES:
            m = rule.pattern.search(line)
            if not m:
                continue
            value = m.groupdict().get("value") or m.group(0)
            if rule.id == "assigned-secret" and _is_placeholder(value):
                continue
            hits.append((number, rule, value[:4] + "…" if len(value) > 4 else "…"))
            break
    return hits


def _read_text(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\x00" in data[:4096]:
        return None  # binary
    return data.decode("utf-8", errors="replace")


def files_to_scan(ctx: CheckContext) -> list[Path]:
    """Text files in model folders plus configuration and container files anywhere."""
    out: set[Path] = set(ctx.files.configs) | set(ctx.files.dockerfiles)
    for folder in ctx.files.model_dirs:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        out.update(p for p in entries if p.is_file() and p.suffix.lower() not in MODEL_SUFFIXES)
    return sorted(out)


def check_secrets(ctx: CheckContext) -> Outcome:
    """DC06: no rule of :data:`SECRET_RULES` matches a model-folder or config file."""
    files = files_to_scan(ctx)
    if not files:
        return Outcome.skipped("no model folder or configuration file to scan")
    hits: list[tuple[Path, int, SecretRule, str]] = []
    scanned = 0
    for path in files:
        text = _read_text(path)
        if text is None:
            continue
        scanned += 1
        hits += [(path, n, rule, red) for n, rule, red in scan_text(text)]
    if not hits:
        return Outcome.passed(f"no secret in {scanned} file(s) ({len(SECRET_RULES)} rules)")
    details = tuple(f"{ctx.display(p)}:{n}: {rule.what} ({red})" for p, n, rule, red in hits)
    return Outcome.failed(
        f"{len(hits)} secret(s) found: {details[0]}"
        + (f" (+{len(hits) - 1} more)" if len(hits) > 1 else ""),
        details=details,
        locations=tuple(Location(ctx.display(p), n) for p, n, _, _ in hits),
    )


__all__ = ["SECRET_RULES", "SecretRule", "check_secrets", "scan_text"]
