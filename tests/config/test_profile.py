"""Profiles: presets load, YAML round-trips, and bad input gets precise messages."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from safedl.config import Profile, preset_names, profile_hash, profile_to_yaml
from safedl.errors import ConfigError
from safedl.profiles import load_profile, profile_from_dict, profile_schema


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return path


def test_presets_include_demo_and_fashion_mnist_and_all_validate() -> None:
    names = preset_names()
    assert {"demo", "fashion-mnist"} <= set(names)
    for name in names:
        profile = load_profile(name)
        assert profile.attacks or profile.threat_model.preset, name  # a plan to run


def test_demo_profile_contents() -> None:
    demo = load_profile("demo")
    assert demo.dataset.name == "digits"
    assert demo.model.name == "small_cnn"
    assert demo.attacks == []  # its attacks come from its threat model's plan
    assert demo.threat_model.preset == "cloud-api"
    assert [s.name for s in demo.evaluation.curve_attacks] == ["pgd"]


def test_yaml_round_trip_preserves_profile(tmp_path: Path) -> None:
    demo = load_profile("demo")
    path = write(tmp_path, profile_to_yaml(demo))
    again = load_profile(path)
    assert again == demo
    assert profile_hash(again) == profile_hash(demo)


def test_hash_ignores_output_and_device_but_not_seed() -> None:
    demo = load_profile("demo")
    assert profile_hash(demo) == profile_hash(demo.model_copy(update={"device": "cpu"}))
    assert profile_hash(demo) != profile_hash(demo.model_copy(update={"seed": 7}))


def test_misspelt_key_names_path_and_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\ntraining:\n  epocs: 3\n")
    with pytest.raises(ConfigError) as exc:
        load_profile(path)
    msg = str(exc.value)
    assert str(path) in msg
    assert "training.epocs" in msg
    assert "'epochs'" in msg


def test_misspelt_top_level_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="did you mean 'dataset'"):
        load_profile(write(tmp_path, "name: x\ndatset: {name: digits}\n"))


def test_wrong_type_and_range(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_profile(write(tmp_path, "name: x\ntraining: {epochs: zero, lr: -1}\n"))
    msg = str(exc.value)
    assert "training.epochs" in msg and "training.lr" in msg


def test_unknown_attack_name_suggests_closest(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_profile(write(tmp_path, "name: x\nattacks:\n  - name: pgdd\n"))
    assert "attacks.0.name" in str(exc.value)
    assert "'pgd'" in str(exc.value)


def test_attack_params_validated_against_plugin_config(tmp_path: Path) -> None:
    text = "name: x\nattacks:\n  - name: fgsm\n  - name: pgd\n    params: {eps: 0.1, stepz: 3}\n"
    with pytest.raises(ConfigError) as exc:
        load_profile(write(tmp_path, text))
    msg = str(exc.value)
    assert "attacks.1.params.stepz" in msg
    assert "'steps'" in msg


def test_attack_param_value_out_of_range(tmp_path: Path) -> None:
    text = "name: x\nattacks:\n  - name: pgd\n    params: {eps: -0.1}\n"
    with pytest.raises(ConfigError, match=r"attacks\.0\.params\.eps"):
        load_profile(write(tmp_path, text))


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"line \d+, column \d+: invalid YAML"):
        load_profile(write(tmp_path, "name: x\ntraining: {epochs: 3\nseed: 1\n"))


def test_non_mapping_and_missing_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mapping"):
        load_profile(write(tmp_path, "- a\n- b\n"))
    with pytest.raises(ConfigError, match="name: required key is missing"):
        load_profile(write(tmp_path, "seed: 1\n"))


def test_missing_file_and_unknown_preset() -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_profile("nope/profile.yaml")
    with pytest.raises(ConfigError, match="did you mean 'demo'"):
        load_profile("demoo")


def test_schema_types_plugin_params() -> None:
    schema = profile_schema()
    variants = schema["properties"]["attacks"]["items"]["oneOf"]
    pgd = next(v for v in variants if v["title"] == "pgd")
    assert "steps" in pgd["properties"]["params"]["properties"]
    assert pgd["properties"]["params"]["additionalProperties"] is False
    assert schema["additionalProperties"] is False


def test_profile_from_dict_defaults() -> None:
    profile = profile_from_dict({"name": "min"})
    assert isinstance(profile, Profile)
    assert profile.dataset.name == "digits" and profile.seed == 0
    dumped = yaml.safe_load(profile_to_yaml(profile))
    assert dumped["training"]["epochs"] == profile.training.epochs


def test_shipped_traffic_signs_profile_validates() -> None:
    root = Path(__file__).resolve().parents[2]
    profile = load_profile(root / "traffic_signs_profile.yaml")
    assert profile.name == "traffic-signs"


def test_threat_model_preset_and_answers_are_checked_with_the_file_named(tmp_path: Path) -> None:
    bad = write(tmp_path, "name: x\nthreat_model: {preset: cloud-apy}\n")
    with pytest.raises(ConfigError, match=r"p\.yaml: threat_model\.preset: .*cloud-api"):
        load_profile(bad)
    bad = write(tmp_path, "name: x\nthreat_model: {answers: {rate_limit: sometimes}}\n")
    with pytest.raises(ConfigError, match=r"p\.yaml: threat_model\.answers"):
        load_profile(bad)


def test_workers_do_not_change_the_profile_hash() -> None:
    a = profile_from_dict({"name": "w"})
    b = profile_from_dict({"name": "w", "evaluation": {"workers": 2}})
    assert profile_hash(a) == profile_hash(b)
