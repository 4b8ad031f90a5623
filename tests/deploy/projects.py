"""Builders of the test projects: an unsafe one and its fixed twin, a run directory, keys.

Everything is generated in temporary folders. Secret-looking strings are assembled at run
time, so this file itself holds no secret for a scanner to find.
"""

from __future__ import annotations

import builtins
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from safedl.deploy.evidence import sha256_file
from safedl.deploy.options import AuditRun

ARTIFACT_KEY = "model-0123456789abcdef0123"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "deploy"
FAKE_OPENAI_KEY = "sk" + "-" + "Zx8Qw7Er6Ty5Ui4Op3As2Df1Gh0Jk9"


class MarkerPayload:
    """Unpickling this writes ``marker``: the stand-in for an attacker's payload."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        code = f"open({str(self.marker)!r}, 'w').write('payload ran')"
        return (builtins.exec, (code,))


def state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {
        "conv.weight": torch.randn(4, 1, 3, 3, generator=g),
        "conv.bias": torch.zeros(4),
        "fc.weight": torch.randn(10, 16, generator=g),
        "fc.bias": torch.zeros(10),
    }


def keypair(folder: Path) -> tuple[Path, Path]:
    """(private key, public key) PEM files of a fresh P-256 key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    folder.mkdir(parents=True, exist_ok=True)
    private, public = folder / "signing-key.pem", folder / "signing-pub.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def sign(model: Path, private_key: Path) -> Path:
    import model_signing

    sig = model.with_name(model.name + ".sig")
    model_signing.signing.Config().use_elliptic_key_signer(private_key=private_key).sign(model, sig)
    return sig


def synthetic_record(*, response_content: str = "label", privacy: bool = True) -> dict[str, Any]:
    """A record in today's format with privacy and extraction results (families being added)."""
    attacks: list[dict[str, Any]] = [
        {
            "family": "evasion",
            "access": "scores",
            "attack": "square",
            "status": "done",
            "params": {"eps": 0.05},
            "robust_accuracy": {"value": 0.2, "low": 0.15, "high": 0.26, "k": 40, "n": 200},
            "attack_success_rate": {"value": 0.78, "low": 0.72, "high": 0.83, "k": 150, "n": 192},
            "extra": {"queries": {"mean": 50.0, "total": 10000, "max": 500}},
        }
    ]
    if privacy:
        attacks += [
            {
                "family": "privacy",
                "access": "scores",
                "attack": "loss_threshold",
                "status": "done",
                "params": {},
                "auc": {"value": 0.71, "low": 0.66, "high": 0.76, "k": None, "n": 400},
            },
            {
                "family": "privacy",
                "access": "labels",
                "attack": "label_only",
                "status": "done",
                "params": {},
                "auc": 0.52,
            },
            {
                "family": "extraction",
                "access": "scores",
                "attack": "model_stealing",
                "status": "done",
                "params": {"max_queries": 10000},
                "fidelity": {"value": 0.9, "low": 0.87, "high": 0.92, "k": 900, "n": 1000},
                "queries": 10000,
            },
        ]
    return {
        "record_version": "1.0",
        "stages": {
            "threat_model": {
                "status": "done",
                "result": {
                    "answers": {
                        "query_access": "public",
                        "response_content": response_content,
                        "rate_limit": "moderate",
                    },
                    "attacker": {
                        "query_output": "labels" if response_content == "label" else "scores",
                        "budgets": {"query_budget": 5000, "extraction_queries": 10000},
                    },
                    "threats": [
                        {"id": "model-extraction", "level": "critical", "title": "Model stealing"},
                        {"id": "membership-inference", "level": "high", "title": "MI"},
                        {"id": "denial-of-service", "level": "high", "title": "DoS"},
                        {"id": "data-poisoning", "level": "low", "title": "Poisoning"},
                    ],
                    "plan": [
                        {
                            "name": "model_stealing",
                            "threat_ids": ["model-extraction"],
                            "status": "available",
                        },
                        {
                            "name": "loss_threshold",
                            "threat_ids": ["membership-inference"],
                            "status": "available",
                        },
                    ],
                },
            },
            "baseline": {
                "status": "done",
                "result": {
                    "dataset": {
                        "name": "digits",
                        "input_shape": [1, 8, 8],
                        "classes": list("0123456789"),
                    },
                    "artifact": ARTIFACT_KEY,
                    "test_accuracy": {"value": 0.97, "low": 0.95, "high": 0.98, "k": 348, "n": 359},
                },
            },
            "attacks": {"status": "done", "result": {"attacks": attacks}},
            "risk": {
                "status": "done",
                "result": {"risks": [{"attack": "square", "rating": "high", "score": 6.1}]},
            },
        },
    }


def make_run_dir(root: Path, record: dict[str, Any] | None = None) -> Path:
    """A run directory with ``record`` (default: the synthetic one) and its model artifact."""
    root.mkdir(parents=True, exist_ok=True)
    artifacts = root / "artifacts"
    artifacts.mkdir(exist_ok=True)
    save_file(state_dict(), str(artifacts / f"{ARTIFACT_KEY}.safetensors"))
    (artifacts / f"{ARTIFACT_KEY}.json").write_text(json.dumps({"spec": {"role": "baseline"}}))
    (root / "record.json").write_text(json.dumps(record or synthetic_record()))
    return root


def make_unsafe_project(root: Path, marker: Path, private_key: Path) -> Path:
    """Every static check of the table fails here (DC03 has no safetensors to read)."""
    model = root / "model"
    model.mkdir(parents=True)
    pt = model / "model.pt"
    torch.save({"state": state_dict(1), "hook": MarkerPayload(marker)}, pt)
    sign(pt, private_key)
    torch.save({"state": state_dict(2), "hook": MarkerPayload(marker)}, pt)  # signed, then swapped
    # A safetensors file whose header promises more bytes than the file holds.
    good = model / "adapter.safetensors"
    save_file({"lora.weight": torch.ones(4, 4)}, str(good))
    good.write_bytes(good.read_bytes()[:-16])
    (model / "config.yaml").write_text(f"model: model.pt\napi_key: {FAKE_OPENAI_KEY}\n")
    src = root / "src"
    src.mkdir()
    (src / "serve.py").write_text(
        "import torch\n"
        "from torch import load as restore\n"
        "import keras\n\n"
        "model = torch.load('model/model.pt')\n"
        "other = restore('model/model.pt', weights_only=False)\n"
        "legacy = keras.models.load_model('model.keras', safe_mode=False)\n"
    )
    (root / "requirements.txt").write_text("torch==2.5.1\nnumpy==1.26.4\n")
    (root / "Dockerfile").write_text(
        "FROM python:latest\n"
        "ADD https://example.com/model.pt /models/model.pt\n"
        "RUN chmod -R 777 /models\n"
        'CMD ["python", "src/serve.py"]\n'
    )
    return root


def make_fixed_project(root: Path, run_dir: Path, private_key: Path) -> Path:
    """The same project done right: every static check passes or is skipped with a reason."""
    model = root / "model"
    model.mkdir(parents=True)
    st = model / "model.safetensors"
    shutil.copyfile(run_dir / "artifacts" / f"{ARTIFACT_KEY}.safetensors", st)
    sign(st, private_key)
    digest = sha256_file(st)
    (model / "MODEL_CARD.md").write_text(
        "---\n"
        "license: mit\n"
        "datasets: [scikit-learn digits]\n"
        "base_model: none\n"
        f"sha256: {digest}\n"
        "---\n\n# Digits classifier\n\nA small CNN trained from scratch.\n"
    )
    (model / "config.yaml").write_text("model: model.safetensors\napi_key: ${MODEL_API_KEY}\n")
    src = root / "src"
    src.mkdir()
    (src / "serve.py").write_text(
        "import torch\n"
        "from torch import load\n"
        "from safetensors.torch import load_file\n\n"
        "weights = load_file('model/model.safetensors')\n"
        "extra = torch.load('extra.pt', weights_only=True)\n"
        "also = load('extra.pt', map_location='cpu', weights_only=True)\n"
    )
    (root / "requirements.txt").write_text("torch>=2.6\nnumpy>=1.24\n")
    (root / "requirements-lock.txt").write_text("torch==2.6.0\nnumpy==2.1.3\n")
    (root / "Dockerfile").write_text(
        "FROM python:3.11-slim@sha256:" + "ab" * 32 + " AS build\n"
        "RUN pip install --no-cache-dir safetensors\n"
        "FROM build\n"
        "RUN useradd --system app\n"
        "COPY --chown=root:root model /models\n"
        "USER app\n"
        'CMD ["python", "src/serve.py"]\n'
    )
    (root / "docker-compose.yml").write_text(
        "services:\n  model:\n    build: .\n    volumes:\n      - ./model:/models:ro\n"
    )
    return root


def audit_json(deps: list[dict[str, Any]]) -> str:
    return json.dumps({"dependencies": deps, "fixes": []})


TORCH_251_VULN = {
    "name": "torch",
    "version": "2.5.1",
    "vulns": [
        {
            "id": "GHSA-53q9-r3pm-6pq6",
            "fix_versions": ["2.6.0"],
            "aliases": ["CVE-2025-32434"],
        }
    ],
}


class CannedAudit:
    """Stands in for the pip-audit subprocess: canned JSON by requirements file name."""

    def __init__(self, by_file: dict[str, AuditRun]) -> None:
        self.by_file = by_file
        self.calls: list[list[str]] = []

    def __call__(self, args: Sequence[str], timeout: float) -> AuditRun:
        self.calls.append(list(args))
        path = args[args.index("-r") + 1] if "-r" in args else "<environment>"
        return self.by_file.get(Path(path).name, AuditRun(returncode=0, stdout=audit_json([])))


def canned_audit() -> CannedAudit:
    """Unsafe project: torch 2.5.1 vulnerable; fixed project's lock: everything audited."""
    return CannedAudit(
        {
            "requirements.txt": AuditRun(
                returncode=1,
                stdout=audit_json(
                    [TORCH_251_VULN, {"name": "numpy", "version": "1.26.4", "vulns": []}]
                ),
            ),
            "requirements-lock.txt": AuditRun(
                returncode=0,
                stdout=audit_json(
                    [
                        {"name": "torch", "version": "2.6.0", "vulns": []},
                        {"name": "numpy", "version": "2.1.3", "vulns": []},
                    ]
                ),
            ),
        }
    )
