"""The deployment checklist as data: one row per check, with the function that implements it.

Each row says what is checked, how (static / probe / record / manual), what passes, how bad a
failure is, which MITRE ATLAS mitigations and OWASP ML Top 10 (2023) risks it answers, and the
fix. The runner walks the table in order (probes run in table order, the rate-limit burst
last, so its 429s cannot spoil the other probes). A test walks every row.

ATLAS ids and names are those of ATLAS release 5.6.1 (``mitre-atlas/atlas-data``,
``dist/ATLAS.yaml``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from safedl.deploy.types import Method, Outcome, Severity

if TYPE_CHECKING:
    from safedl.deploy.context import CheckContext

CheckFn = Callable[["CheckContext"], Outcome]

#: MITRE ATLAS mitigations cited by the table.
ATLAS_MITIGATIONS: dict[str, str] = {
    "AML.M0000": "Limit Public Release of Information",
    "AML.M0002": "Passive AI Output Obfuscation",
    "AML.M0004": "Restrict Number of AI Model Queries",
    "AML.M0005": "Control Access to AI Models and Data at Rest",
    "AML.M0007": "Sanitize Training Data",
    "AML.M0008": "Validate AI Model",
    "AML.M0011": "Restrict Library Loading",
    "AML.M0012": "Encrypt Sensitive Information",
    "AML.M0013": "Code Signing",
    "AML.M0014": "Verify AI Artifacts",
    "AML.M0015": "Adversarial Input Detection",
    "AML.M0016": "Vulnerability Scanning",
    "AML.M0019": "Control Access to AI Models and Data in Production",
    "AML.M0023": "AI Bill of Materials",
    "AML.M0024": "AI Telemetry Logging",
    "AML.M0025": "Maintain AI Dataset Provenance",
}


@dataclass(frozen=True)
class CheckSpec:
    """One deployment check."""

    id: str
    title: str
    family: str
    method: Method
    criterion: str
    severity: Severity
    atlas: tuple[str, ...]
    owasp: tuple[str, ...]
    fix: str
    function: str  # "module:function" implementing it

    def resolve(self) -> CheckFn:
        """The function that implements this check."""
        module_name, _, attr = self.function.partition(":")
        fn: CheckFn = getattr(importlib.import_module(module_name), attr)
        return fn


_D = "safedl.deploy."
S, P, R, M = Method.STATIC, Method.PROBE, Method.RECORD, Method.MANUAL
LOW, MED, HIGH, CRIT = Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL

CHECKS: tuple[CheckSpec, ...] = (
    # ── Artifacts ───────────────────────────────────────────────────────────────────────
    CheckSpec(
        "DC01", "Model files use a non-executable format", "artifacts", S,
        "every model file is safetensors or ONNX; pickle-based formats (.pt .pth .pkl .ckpt "
        ".bin ...) fail unless waived (allow_pickle / --allow-pickle)",
        HIGH, ("AML.M0011", "AML.M0014"), ("ML06",),
        "convert the weights to safetensors (safetensors.torch.save_file(model.state_dict(), "
        "...)) and load them with safetensors.torch.load_file",
        _D + "artifacts:check_format",
    ),
    CheckSpec(
        "DC02", "Pickle scan finds no dangerous imports", "artifacts", S,
        "picklescan reads every pickle-based model file without executing it and finds no "
        "dangerous or unknown global (os.system, builtins.exec, ...)",
        CRIT, ("AML.M0016", "AML.M0011"), ("ML06", "ML10"),
        "do not load the file; rebuild the model from trusted code and re-export its weights "
        "as safetensors",
        _D + "pickle_scan:check_pickle_scan",
    ),
    CheckSpec(
        "DC03", "safetensors headers are sane and match the assessed model", "artifacts", S,
        "header size within bound, JSON valid, dtypes known, offsets contiguous and inside the "
        "file, byte lengths equal dtype × shape; with --run, tensor names, dtypes and shapes "
        "equal the assessed artifact's",
        HIGH, ("AML.M0014",), ("ML06", "ML10"),
        "re-export the weights with safetensors.torch.save_file from the assessed model; "
        "deploy the artifact the assessment measured",
        _D + "safetensors_header:check_safetensors_header",
    ),
    CheckSpec(
        "DC04", "Artifact SHA-256 equals the pinned or assessed hash", "artifacts", S,
        "each model file's SHA-256 equals the pin in the config (pinned_sha256) or the "
        "assessed artifact of the --run record",
        HIGH, ("AML.M0014",), ("ML06", "ML10"),
        "deploy the exact artifact that was assessed, or re-run the assessment on this one "
        "and pin its hash",
        _D + "artifacts:check_pinned_hash",
    ),
    CheckSpec(
        "DC05", "Model signature verifies", "artifacts", S,
        "a signature next to a model file (<file>.sig, Sigstore bundle from model_signing) "
        "verifies offline against the configured public key",
        HIGH, ("AML.M0013", "AML.M0014"), ("ML06",),
        "sign with `model_signing sign key --private_key KEY.pem MODEL --signature MODEL.sig` "
        "and set signing.public_key in the deploy config",
        _D + "signing:check_signature",
    ),
    CheckSpec(
        "DC06", "No secrets in the model directory or config", "artifacts", S,
        "no private key, cloud or API token matches the secret rules in model directories "
        "and configuration files",
        HIGH, ("AML.M0005", "AML.M0012"), (),
        "remove the secret, rotate it, and pass it at run time from a secret store or an "
        "environment variable",
        _D + "secrets:check_secrets",
    ),
    # ── Code and environment ────────────────────────────────────────────────────────────
    CheckSpec(
        "DC07", "torch.load is called with weights_only=True", "code", S,
        "every torch.load call in the project's Python source (also through aliases and "
        "`from torch import load`) passes the literal weights_only=True",
        CRIT, ("AML.M0011",), ("ML06",),
        "pass weights_only=True (and use torch >= 2.6), or load safetensors instead",
        _D + "source_scan:check_torch_load",
    ),
    CheckSpec(
        "DC08", "torch is not affected by CVE-2025-32434", "environment", S,
        "the torch versions pinned (requirements*.txt, pyproject, lock files) or, without "
        "pins, installed are 2.6.0 or later",
        CRIT, ("AML.M0016",), ("ML06",),
        "require torch>=2.6.0 (CVE-2025-32434: torch.load with weights_only=True could still "
        "execute code in 2.5.1 and earlier)",
        _D + "torch_cve:check_torch_cve",
    ),
    CheckSpec(
        "DC09", "Keras models are not loaded with safe_mode=False", "code", S,
        "no call passes safe_mode other than True and none enables unsafe deserialization",
        CRIT, ("AML.M0011",), ("ML06",),
        "drop safe_mode=False (CVE-2025-1550 / CVE-2025-9906); rebuild custom layers in code",
        _D + "source_scan:check_keras_safe_mode",
    ),
    CheckSpec(
        "DC10", "Dependencies have no known vulnerabilities", "environment", S,
        "pip-audit audits every pinned dependency (or the environment) and finds no known "
        "vulnerability; skipped when the vulnerability database cannot be reached",
        HIGH, ("AML.M0016",), ("ML06",),
        "upgrade to the fixed versions pip-audit names",
        _D + "audit:check_dependency_audit",
    ),
    CheckSpec(
        "DC11", "A model card or AIBOM names data sources, base model, hashes and licence",
        "artifacts", S,
        "a model card (MODEL_CARD.md, README.md front matter, model_card.yaml/json) or a "
        "CycloneDX AIBOM states data sources, the base model (or none), SHA-256 hashes that "
        "match the model files, and a licence",
        MED, ("AML.M0023", "AML.M0025"), ("ML06", "ML07"),
        "add a MODEL_CARD.md with front matter: datasets, base_model, license, sha256",
        _D + "model_card:check_model_card",
    ),
    # ── Container ───────────────────────────────────────────────────────────────────────
    CheckSpec(
        "DC12", "Container runs as a non-root user", "container", S,
        "the final stage of each Dockerfile sets USER to a user other than root / 0",
        MED, ("AML.M0005",), (),
        "add `RUN useradd --system app` and `USER app` to the final stage",
        _D + "container:check_non_root",
    ),
    CheckSpec(
        "DC13", "Model files are read-only in the container", "container", S,
        "no chmod makes files world-writable; compose files mount model volumes read-only",
        MED, ("AML.M0005", "AML.M0014"), ("ML10",),
        "mount the model volume with :ro (or read_only: true) and drop chmod 777 / o+w",
        _D + "container:check_read_only_model",
    ),
    CheckSpec(
        "DC14", "Dockerfile does not ADD remote URLs", "container", S,
        "no ADD instruction fetches an http(s) or git URL",
        MED, ("AML.M0014", "AML.M0016"), ("ML06",),
        "download in a RUN step that verifies a checksum, or COPY a verified file",
        _D + "container:check_no_remote_add",
    ),
    CheckSpec(
        "DC15", "Base images are pinned", "container", S,
        "every FROM names a tag other than latest, or a digest (@sha256:)",
        LOW, ("AML.M0016",), ("ML06",),
        "pin the base image, e.g. python:3.11-slim@sha256:<digest>",
        _D + "container:check_pinned_base_image",
    ),
    # ── Endpoint (probes; rate limit last) ──────────────────────────────────────────────
    CheckSpec(
        "DC16", "Unauthenticated requests are refused", "endpoint", P,
        "POST /v1/predict without credentials and with a wrong key gets 401 or 403",
        CRIT, ("AML.M0019",), ("ML04", "ML05"),
        "require an API key (Authorization: Bearer or X-API-Key) on every model route",
        _D + "probes.auth:check_auth",
    ),
    CheckSpec(
        "DC17", "Responses reveal no more than the output policy allows", "endpoint", P,
        "no logits or embeddings; no full probability vector unless the policy allows it, "
        "and scores rounded as the policy says",
        HIGH, ("AML.M0002",), ("ML03", "ML04", "ML05"),
        "return the label (or top-k rounded scores) only; never logits or embeddings",
        _D + "probes.output:check_output_policy",
    ),
    CheckSpec(
        "DC18", "Malformed inputs are rejected with 4xx", "endpoint", P,
        "wrong shape, wrong dtype, NaN, Inf, out-of-range, oversized and unparsable inputs "
        "get a 4xx status, never 5xx or 2xx",
        MED, ("AML.M0015",), ("ML01",),
        "validate shape, dtype, finiteness, [0, 1] range and size before inference; cap the "
        "body size",
        _D + "probes.inputs:check_input_validation",
    ),
    CheckSpec(
        "DC19", "Error responses leak no internals", "endpoint", P,
        "error bodies and headers carry no traceback, file path or framework version",
        MED, ("AML.M0000",), ("ML05",),
        "return generic error bodies; log the details server-side; drop version headers",
        _D + "probes.leakage:check_error_leakage",
    ),
    CheckSpec(
        "DC20", "Docs and debug endpoints are off", "endpoint", P,
        "/docs, /redoc, /openapi.json and /debug are not served (no 2xx)",
        MED, ("AML.M0000", "AML.M0019"), ("ML05",),
        "disable them in production (FastAPI(docs_url=None, redoc_url=None, openapi_url=None))",
        _D + "probes.surface:check_docs_off",
    ),
    CheckSpec(
        "DC21", "/metrics is not public", "endpoint", P,
        "GET /metrics without credentials does not get a 2xx",
        MED, ("AML.M0019", "AML.M0024"), ("ML05",),
        "serve metrics on an internal port or behind authentication",
        _D + "probes.surface:check_metrics_private",
    ),
    CheckSpec(
        "DC22", "The endpoint serves the assessed model", "endpoint", P,
        "GET /v1/model reports sha256 or content_hash equal to the assessed or pinned hash",
        HIGH, ("AML.M0014",), ("ML10",),
        "deploy the assessed artifact and report its SHA-256 from /v1/model",
        _D + "probes.identity:check_model_identity",
    ),
    CheckSpec(
        "DC23", "CORS does not allow any origin with credentials", "endpoint", P,
        "no response pairs Access-Control-Allow-Credentials: true with an Allow-Origin of * "
        "or of an arbitrary (reflected) origin",
        HIGH, ("AML.M0019",), ("ML05",),
        "list the allowed origins explicitly, or drop allow_credentials",
        _D + "probes.surface:check_cors",
    ),
    CheckSpec(
        "DC24", "A burst beyond the rate limit gets 429 with Retry-After", "endpoint", P,
        "a bounded burst of valid requests meets 429 Too Many Requests carrying Retry-After; "
        "with --run, the allowance is compared with the measured extraction cost",
        HIGH, ("AML.M0004",), ("ML04", "ML05"),
        "rate-limit each API key (and IP), answer 429 with Retry-After",
        _D + "probes.rate_limit:check_rate_limit",
    ),
    # ── Assessment ──────────────────────────────────────────────────────────────────────
    CheckSpec(
        "DC25", "Threats ranked high or critical were tested", "assessment", R,
        "every high or critical threat of the run's threat model that attacks can simulate "
        "has a finished attack result in the record",
        MED, ("AML.M0008",), (),
        "implement or enable the planned attack and re-run the assessment before deploying",
        _D + "record_checks:check_threat_coverage",
    ),
    # ── Process (manual) ────────────────────────────────────────────────────────────────
    CheckSpec(
        "DC26", "Incident response covers the model", "process", M,
        "a reviewer confirms a runbook for model incidents (abuse, extraction, drift)",
        MED, ("AML.M0024",), (),
        "write a runbook: who is paged, how to roll back the model, how to revoke keys",
        _D + "manual:check_incident_response",
    ),
    CheckSpec(
        "DC27", "Retraining needs approval", "process", M,
        "a reviewer confirms that retraining and new training data need a recorded approval",
        MED, ("AML.M0007", "AML.M0025"), ("ML02", "ML08", "ML10"),
        "require a reviewed change (data diff, evaluation, sign-off) before a retrained model "
        "ships",
        _D + "manual:check_retraining_approval",
    ),
    CheckSpec(
        "DC28", "Data retention is defined", "process", M,
        "a reviewer confirms retention limits for training data, queries and logs",
        MED, ("AML.M0012",), ("ML03", "ML04"),
        "set and enforce retention periods; delete queries and logs past them",
        _D + "manual:check_data_retention",
    ),
    CheckSpec(
        "DC29", "Access to the model and its keys is reviewed", "process", M,
        "a reviewer confirms periodic reviews of who holds API keys and weight access",
        MED, ("AML.M0005", "AML.M0019"), ("ML05",),
        "review key holders and registry access every quarter; revoke unused keys",
        _D + "manual:check_access_review",
    ),
)  # fmt: skip

CHECKS_BY_ID: dict[str, CheckSpec] = {c.id: c for c in CHECKS}


def check(check_id: str) -> CheckSpec:
    """The row of ``check_id`` (``KeyError`` for an unknown id)."""
    return CHECKS_BY_ID[check_id]


__all__ = ["ATLAS_MITIGATIONS", "CHECKS", "CHECKS_BY_ID", "CheckFn", "CheckSpec", "check"]
