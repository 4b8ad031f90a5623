"""Artifact checks: format (DC01), pickle scan (DC02), safetensors headers (DC03), pinned hash
(DC04), signatures (DC05), secrets (DC06)."""

from __future__ import annotations

import collections
import json
import struct
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import save_file

from safedl.deploy import CheckResult, DeployOptions, Severity, Status, run_checks
from safedl.deploy.evidence import sha256_file
from safedl.deploy.safetensors_header import read_header
from safedl.deploy.secrets import SECRET_RULES, scan_text

from .conftest import Keys
from .projects import FAKE_OPENAI_KEY, MarkerPayload, sign, state_dict


def result(paths: list[Path], check_id: str, **kwargs: Any) -> CheckResult:
    return run_checks(paths, only=[check_id], **kwargs).result(check_id)


def test_format(tmp_path: Path) -> None:
    save_file(state_dict(), str(tmp_path / "a.safetensors"))
    (tmp_path / "b.onnx").write_bytes(b"onnx")
    assert result([tmp_path], "DC01").status is Status.PASS
    torch.save(state_dict(), tmp_path / "c.pt")
    r = result([tmp_path], "DC01")
    assert r.status is Status.FAIL and r.severity is Severity.HIGH and "c.pt" in r.evidence
    waived = result([tmp_path], "DC01", options=DeployOptions(allow_pickle=True))
    assert waived.status is Status.SKIP and "waived" in waived.evidence  # never a pass
    keras_only = tmp_path / "k"
    keras_only.mkdir()
    (keras_only / "m.keras").write_bytes(b"PK")
    r = result([keras_only], "DC01")
    assert r.status is Status.FAIL and r.severity is Severity.MEDIUM
    empty = tmp_path / "empty"
    empty.mkdir()
    assert result([empty], "DC01").status is Status.SKIP


class Custom:
    """A class a pickle would import from this test module."""


def test_pickle_scan_pass_dangerous_and_unknown(tmp_path: Path) -> None:
    benign = tmp_path / "benign"
    benign.mkdir()
    torch.save(collections.OrderedDict(state_dict()), benign / "weights.pt")
    assert result([benign], "DC02").status is Status.PASS

    marker = tmp_path / "MARKER"
    evil = tmp_path / "evil"
    evil.mkdir()
    torch.save({"w": torch.ones(2), "x": MarkerPayload(marker)}, evil / "model.pth")
    r = result([evil], "DC02")
    assert r.status is Status.FAIL and r.severity is Severity.CRITICAL
    assert "exec" in r.evidence and not marker.exists()

    custom = tmp_path / "custom"
    custom.mkdir()
    torch.save({"w": torch.ones(2), "obj": Custom()}, custom / "model.ckpt")
    r = result([custom], "DC02")
    assert r.status is Status.FAIL and r.severity is Severity.MEDIUM and "Custom" in r.evidence


def _safetensors(
    path: Path, header: dict[str, object], data: bytes, *, n: int | None = None
) -> Path:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw) if n is None else n) + raw + data)
    return path


@pytest.mark.parametrize(
    ("header", "data", "n", "problem"),
    [
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8, None, ""),
        ({}, b"", 200_000_000, "exceeds the 100 MB bound"),
        ({}, b"", 5000, "runs past the end"),
        ({"a": {"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8, None, "dtype"),
        (
            {"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}},
            b"\0" * 8,
            None,
            "needs 12",
        ),
        (
            {
                "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]},
            },
            b"\0" * 12,
            None,
            "gap",
        ),
        (
            {
                "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]},
            },
            b"\0" * 8,
            None,
            "overlaps",
        ),
        ({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 8, None, "past"),
        ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 9, None, "short"),
        ({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4, None, "shape"),
    ],
)
def test_header_sanity(
    tmp_path: Path, header: dict[str, object], data: bytes, n: int | None, problem: str
) -> None:
    report = read_header(_safetensors(tmp_path / "m.safetensors", header, data, n=n))
    if not problem:
        assert report.ok and report.signature() == {"a": ("F32", (2,))}
    else:
        assert not report.ok and problem in " ".join(report.problems), report.problems


def test_header_rejects_duplicates_and_non_json(tmp_path: Path) -> None:
    dup = tmp_path / "dup.safetensors"
    raw = b'{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, "a": {}}'
    dup.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0")
    assert "duplicate" in read_header(dup).problems[0]
    pickle_in_disguise = tmp_path / "p.safetensors"
    torch.save(state_dict(), pickle_in_disguise)
    assert not read_header(pickle_in_disguise).ok


def test_header_must_match_the_assessed_state_dict(tmp_path: Path, run_dir: Path) -> None:
    same = tmp_path / "same"
    same.mkdir()
    save_file(state_dict(seed=5), str(same / "m.safetensors"))  # other values, same layout
    assert result([same], "DC03", run_dir=run_dir).status is Status.PASS
    other = tmp_path / "other"
    other.mkdir()
    tensors = {**state_dict(), "fc.weight": torch.zeros(10, 32), "extra": torch.ones(1)}
    del tensors["conv.bias"]
    save_file(tensors, str(other / "m.safetensors"))
    r = result([other], "DC03", run_dir=run_dir)
    text = " ".join(r.details)
    assert r.status is Status.FAIL
    assert "missing tensors conv.bias" in text and "unexpected tensors extra" in text
    assert "fc.weight: F32[10, 32] but the assessed model has F32[10, 16]" in text
    assert result([other], "DC03").status is Status.PASS  # without --run only sanity counts


def test_pinned_hash(tmp_path: Path, run_dir: Path) -> None:
    model = tmp_path / "m.safetensors"
    save_file(state_dict(), str(model))
    digest = sha256_file(model)
    assert result([model], "DC04").status is Status.SKIP
    pinned = DeployOptions(pinned_sha256={"m.safetensors": digest})
    assert result([model], "DC04", options=pinned).status is Status.PASS
    wrong = DeployOptions(pinned_sha256={"*": "ab" * 32})
    r = result([model], "DC04", options=wrong)
    assert r.status is Status.FAIL and "pinned_sha256['*']" in r.details[0]
    # With --run: the assessed artifact is the pin (same tensors → same bytes → same hash).
    assert result([model], "DC04", run_dir=run_dir).status is Status.PASS
    save_file(state_dict(seed=9), str(model))
    assert result([model], "DC04", run_dir=run_dir).status is Status.FAIL


def test_signature_verifies_offline(tmp_path: Path, keys: Keys) -> None:
    model = tmp_path / "m.safetensors"
    save_file(state_dict(), str(model))
    with_key = DeployOptions(signing={"public_key": keys.public})
    assert result([model], "DC05", options=with_key).status is Status.SKIP  # unsigned
    required = DeployOptions(signing={"public_key": keys.public, "require_signature": True})
    assert result([model], "DC05", options=required).status is Status.FAIL
    sign(model, keys.private)
    r = result([model], "DC05", options=with_key)
    assert r.status is Status.PASS, r.evidence
    no_key = result([model], "DC05")
    assert no_key.status is Status.SKIP and "public_key" in no_key.evidence
    save_file(state_dict(seed=3), str(model))  # tampered after signing
    r = result([model], "DC05", options=with_key)
    assert r.status is Status.FAIL and "mismatch" in r.evidence.lower()


def test_keyless_bundle_is_skipped_never_passed(tmp_path: Path) -> None:
    model = tmp_path / "m.safetensors"
    save_file(state_dict(), str(model))
    bundle = {"verificationMaterial": {"certificate": {"rawBytes": "MII..."}}, "dsseEnvelope": {}}
    (tmp_path / "m.safetensors.sig").write_text(json.dumps(bundle))
    r = result([model], "DC05")
    assert r.status is Status.SKIP and "keyless" in r.evidence


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("-----BEGIN RSA PRIVATE KEY-----", "private-key"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "private-key"),
        ("aws_key = " + "AKIA" + "IOSFODNN7EXAMPLE", "aws-access-key"),
        ("token: " + "ghp_" + "a" * 20 + "B" * 16, "github-token"),
        ("SLACK=" + "xoxb-" + "1234567890-abcdefghij", "slack-token"),
        ("key: " + FAKE_OPENAI_KEY, "openai-key"),
        ("HF=" + "hf_" + "aB3" * 11, "huggingface-token"),
        ("google: " + "AIza" + "Sy" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "google-api-key"),
        (
            "auth: " + "eyJ" + "hbGciOiJIUzI1" + ".eyJ" + "zdWIiOiIxMjM0" + ".SflKxwRJSMeKKF2QT4",
            "jwt",
        ),
        ('db_password = "Tr0ub4dor&3xyzzy"', "assigned-secret"),
        ("API_KEY=9f8e7d6c5b4a39281706", "assigned-secret"),
    ],
)
def test_secret_rules_match(line: str, rule: str) -> None:
    hits = scan_text(f"# config\n{line}\n")
    assert [(n, r.id) for n, r, _ in hits] == [(2, rule)]
    assert line[-6:] not in hits[0][2]  # redacted


@pytest.mark.parametrize(
    "line",
    [
        "api_key: ${MODEL_API_KEY}",
        "api_key: <your-api-key-here>",
        "password: changeme-please",
        "token: xxxxxxxxxxxxxxxx",
        "tokenizer: bert-base-uncased-vocab",
        "max_tokens: 1000000000000",
        "secret_name: my-kubernetes-secret",
        "sha256: " + "ab" * 32,
    ],
)
def test_secret_rules_ignore_placeholders_and_lookalikes(line: str) -> None:
    assert scan_text(line) == []


def test_secrets_table_is_complete() -> None:
    assert len({r.id for r in SECRET_RULES}) == len(SECRET_RULES) >= 9


def test_secrets_check_scans_model_folders_and_configs(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    save_file(state_dict(), str(tmp_path / "model" / "m.safetensors"))
    (tmp_path / "model" / "notes.txt").write_text("-----BEGIN EC PRIVATE KEY-----\n")
    (tmp_path / "settings.toml").write_text("[db]\npassword = 'hunter2hunter2'\n")
    r = result([tmp_path], "DC06")
    assert r.status is Status.FAIL
    assert sorted((Path(loc.path).name, loc.line) for loc in r.locations) == [
        ("notes.txt", 1),
        ("settings.toml", 2),
    ]
