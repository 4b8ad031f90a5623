"""Code and environment checks: torch.load (DC07), torch CVE pins (DC08), Keras safe mode (DC09),
model card (DC11), container basics (DC12–DC15)."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
from safetensors.torch import save_file

from safedl.deploy import CheckResult, Severity, Status, run_checks
from safedl.deploy.evidence import sha256_file
from safedl.deploy.requirements import pyproject_file, requirements_file
from safedl.deploy.source_scan import keras_hits, torch_load_hits
from safedl.deploy.torch_cve import admitted_affected

from .projects import state_dict


def result(paths: list[Path], check_id: str) -> CheckResult:
    return run_checks(paths, only=[check_id], offline=True).result(check_id)


def _hits(code: str) -> list[tuple[int, str]]:
    tree = ast.parse(textwrap.dedent(code))
    return [(h.line, h.what) for h in torch_load_hits(tree, Path("m.py"))]


@pytest.mark.parametrize(
    ("code", "lines"),
    [
        ("import torch\ntorch.load(p)\n", [2]),
        ("import torch\ntorch.load(p, weights_only=True)\n", []),
        ("import torch\ntorch.load(p, weights_only=False)\n", [2]),
        ("import torch as t\nt.load(p, map_location='cpu')\n", [2]),
        ("from torch import load\nload(p)\nload(p, weights_only=True)\n", [2]),
        ("from torch import load as ld\nld(p, weights_only=flag)\n", [2]),
        ("import torch\nloader = torch.load\nloader(p)\n", [3]),
        ("import torch.serialization\ntorch.serialization.load(p)\n", [2]),
        ("from torch.serialization import load\nload(p, **kw)\n", [2]),
        ("import torch\ntorch.load(p, **{'weights_only': True})\n", [2]),
        ("import json, pickle\njson.load(f)\nnp.load(p)\n", []),
        ("def f(torch):\n    return torch.load(p, weights_only=True)\n", []),
        ("import torch\nclass A:\n    def m(self):\n        return torch.load(self.p)\n", [4]),
    ],
)
def test_torch_load_ast_scan(code: str, lines: list[int]) -> None:
    assert [line for line, _ in _hits(code)] == lines


def test_torch_load_reasons() -> None:
    (_, missing), (_, false), (_, var), (_, kwargs) = _hits(
        "import torch\ntorch.load(a)\ntorch.load(b, weights_only=False)\n"
        "torch.load(c, weights_only=w)\ntorch.load(d, **kw)\n"
    )
    assert "no weights_only" in missing and "weights_only=False" in false
    assert "not the literal True" in var and "**kwargs" in kwargs


def test_keras_safe_mode() -> None:
    tree = ast.parse(
        "import keras\nfrom keras.models import load_model\n"
        "load_model('a.keras', safe_mode=False)\n"
        "keras.saving.load_model('b.keras', safe_mode=True)\n"
        "keras.config.enable_unsafe_deserialization()\n"
        "load_model('c.keras')\n"
    )
    assert [h.line for h in keras_hits(tree, Path("m.py"))] == [3, 5]


def test_source_checks_report_file_line_and_survive_bad_files(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("import torch\nx = torch.load('a', weights_only=True)\n")
    (tmp_path / "broken.py").write_text("def (:\n")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "load.py").write_text("from torch import load\n\n\nmodel = load('m.pt')\n")
    venv = tmp_path / ".venv" / "lib"
    venv.mkdir(parents=True)
    (venv / "vendored.py").write_text("import torch\ntorch.load('x')\n")  # not the project's
    r = result([tmp_path], "DC07")
    assert r.status is Status.FAIL
    assert [(Path(loc.path).name, loc.line) for loc in r.locations] == [("load.py", 4)]
    assert any("broken.py" in d and "not parsed" in d for d in r.details)
    (pkg / "load.py").unlink()
    assert result([tmp_path], "DC07").status is Status.PASS
    empty = tmp_path / "empty"
    empty.mkdir()
    assert result([empty], "DC07").status is Status.SKIP


@pytest.mark.parametrize(
    ("files", "status", "severity"),
    [
        ({"requirements.txt": "torch==2.5.1\n"}, Status.FAIL, Severity.CRITICAL),
        ({"requirements.txt": "torch==2.5.1+cpu ; python_version >= '3.9'\n"}, Status.FAIL, None),
        ({"requirements.txt": "torch==2.6.0\n"}, Status.PASS, None),
        ({"requirements.txt": "torch>=2.2\n"}, Status.FAIL, Severity.HIGH),
        ({"requirements.txt": "torch>=2.6,<3\n"}, Status.PASS, None),
        (
            {"requirements-dev.txt": "-r base.txt\n", "base.txt": "torch~=2.4.0\n"},
            Status.FAIL,
            None,
        ),
        (
            {
                "requirements.txt": "torch>=2.2\n",
                "poetry.lock": '[[package]]\nname = "torch"\nversion = "2.7.1"\n',
            },
            Status.PASS,
            None,
        ),
        (
            {
                "requirements.txt": "torch\n",
                "uv.lock": '[[package]]\nname = "torch"\nversion = "2.4.1"\n',
            },
            Status.FAIL,
            Severity.CRITICAL,
        ),
        ({"Pipfile.lock": '{"default": {"torch": {"version": "==2.3.0"}}}'}, Status.FAIL, None),
        (
            {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["torch>=2.6.0"]\n'},
            Status.PASS,
            None,
        ),
        (
            {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\ntorch = "^2.5"\n'},
            Status.FAIL,
            Severity.HIGH,
        ),
        (
            {
                "pyproject.toml": '[project]\nname = "x"\n'
                '[project.optional-dependencies]\ngpu = ["torch==2.1.2"]\n'
            },
            Status.FAIL,
            None,
        ),
    ],
)
def test_torch_cve_pins(
    tmp_path: Path, files: dict[str, str], status: Status, severity: Severity | None
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    r = result([tmp_path], "DC08")
    assert r.status is status, r.evidence
    if severity is not None:
        assert r.severity is severity
    if status is Status.FAIL:
        assert r.locations and "CVE-2025-32434" in r.evidence


def test_torch_cve_without_pins_judges_the_installed_torch(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("numpy==2.0.0\n")
    r = result([tmp_path], "DC08")
    assert r.status is Status.PASS and "installed torch" in r.evidence  # torch >= 2.6 here


def test_requirement_parsing() -> None:
    assert admitted_affected(">=2.5.1") == ["2.5.1"]
    assert admitted_affected("==2.6.0") == []


def test_requirements_file_lines(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text(
        "# pins\n--index-url https://x\ntorch==2.5.1 \\\n    --hash=sha256:ab\nnumpy  # c\n"
    )
    pins = requirements_file(req)
    assert [(p.package, p.specifier, p.line, p.exact) for p in pins] == [
        ("torch", "==2.5.1", 3, "2.5.1"),
        ("numpy", "", 5, None),
    ]
    py = tmp_path / "pyproject.toml"
    py.write_text('[dependency-groups]\ndev = ["Torch_Vision>=0.2"]\n')
    assert [(p.package, p.line) for p in pyproject_file(py)] == [("torch-vision", 2)]


def _model(folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    save_file(state_dict(), str(folder / "m.safetensors"))
    return sha256_file(folder / "m.safetensors")


def test_model_card_markdown(tmp_path: Path) -> None:
    digest = _model(tmp_path / "model")
    card = tmp_path / "model" / "MODEL_CARD.md"
    card.write_text(
        f"---\nlicense: apache-2.0\ndatasets: [digits]\nbase_model: none\n---\n{digest}\n"
    )
    assert result([tmp_path], "DC11").status is Status.PASS
    card.write_text(
        "# Card\n\n## Training data\n\nscikit-learn digits\n\n## Base model\n\nnone\n\n"
        f"## Hashes\n\n{digest}\n"
    )
    r = result([tmp_path], "DC11")
    assert r.status is Status.FAIL and "licence" in r.evidence
    card.write_text(
        f"---\nlicense: mit\ndatasets: [d]\nbase_model: none\nsha256: {'0' * 64}\n---\n"
    )
    r = result([tmp_path], "DC11")
    assert r.status is Status.FAIL and "match no hash" in r.evidence
    card.unlink()
    assert result([tmp_path], "DC11").status is Status.FAIL


def test_model_card_cyclonedx_aibom(tmp_path: Path) -> None:
    digest = _model(tmp_path)
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "components": [
            {
                "type": "machine-learning-model",
                "name": "digits-cnn",
                "hashes": [{"alg": "SHA-256", "content": digest}],
                "licenses": [{"license": {"id": "MIT"}}],
                "pedigree": {"ancestors": [{"type": "machine-learning-model", "name": "none"}]},
                "modelCard": {"modelParameters": {"datasets": [{"name": "digits"}]}},
            }
        ],
    }
    import json

    (tmp_path / "model.cdx.json").write_text(json.dumps(bom))
    assert result([tmp_path], "DC11").status is Status.PASS
    del bom["components"][0]["pedigree"]  # type: ignore[index]
    (tmp_path / "model.cdx.json").write_text(json.dumps(bom))
    r = result([tmp_path], "DC11")
    assert r.status is Status.FAIL and "base model" in r.evidence


DOCKER_CASES = [
    ("FROM python:3.11-slim\nRUN useradd app\nUSER app\n", {"DC12", "DC13", "DC14", "DC15"}, set()),
    ("FROM python:3.11\nUSER root\n", {"DC13", "DC14", "DC15"}, {"DC12"}),
    ("FROM python:3.11 AS b\nUSER app\nFROM b\nUSER 0:0\n", {"DC15"}, {"DC12"}),
    ("FROM python:3.11 AS b\nUSER app\nFROM gcr.io/distroless/python3\n", set(), {"DC12", "DC15"}),
    (
        "FROM python:3.11 AS b\nFROM gcr.io/distroless/python3:nonroot\nUSER 65532\n",
        {"DC12", "DC15"},
        set(),
    ),
    ("FROM python\nUSER app\n", {"DC12"}, {"DC15"}),
    ("ARG BASE=python:3.11\nFROM ${BASE}\nUSER app\n", {"DC12"}, {"DC15"}),
    ("FROM registry:5000/img@sha256:" + "a" * 64 + "\nUSER app\n", {"DC15"}, set()),
    ("FROM python:3.11\nUSER app\nRUN chmod o+w /models\n", {"DC14"}, {"DC13"}),
    (
        "FROM python:3.11\nUSER app\nRUN chmod 0755 /models && \\\n    chmod -R 666 /data\n",
        set(),
        {"DC13"},
    ),
    ("FROM python:3.11\nUSER app\nADD git@github.com:a/b.git /src\n", {"DC13"}, {"DC14"}),
    ("FROM python:3.11\n# ADD https://x/y\nUSER app\nADD ./local /x\n", {"DC14"}, set()),
]


@pytest.mark.parametrize(("dockerfile", "passing", "failing"), DOCKER_CASES)
def test_dockerfile_checks(
    tmp_path: Path, dockerfile: str, passing: set[str], failing: set[str]
) -> None:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    report = run_checks([tmp_path], only=["DC12", "DC13", "DC14", "DC15"], offline=True)
    assert {r.id for r in report.by_status(Status.PASS)} >= passing
    assert {r.id for r in report.by_status(Status.FAIL)} == failing


def test_compose_model_volume_must_be_read_only(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  api:\n    volumes:\n      - ./models:/models\n      - ./logs:/logs\n"
    )
    r = result([tmp_path], "DC13")
    assert r.status is Status.FAIL and "/models is mounted read-write" in r.evidence
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  api:\n    volumes:\n      - type: bind\n        source: ./m\n"
        "        target: /srv/model\n        read_only: true\n"
    )
    assert result([tmp_path], "DC13").status is Status.PASS
    empty = tmp_path / "e"
    empty.mkdir()
    assert {r.status for r in run_checks([empty], only=["DC12", "DC13"]).results} == {Status.SKIP}
