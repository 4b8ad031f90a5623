"""The plugin registry: registration, lookup, config validation and suggestions."""

from __future__ import annotations

import pytest

from safedl.errors import ConfigError, PluginError
from safedl.registry import ATTACKS, PluginConfig, Registry


def test_builtin_attacks_are_registered_with_metadata() -> None:
    assert {"fgsm", "pgd"} <= set(ATTACKS.names())
    pgd = ATTACKS.get("pgd")
    assert pgd.family == "evasion" and pgd.access == "white-box"
    assert "Madry" in pgd.paper
    assert pgd.summary.startswith("Projected Gradient Descent")


def test_unknown_name_suggests() -> None:
    with pytest.raises(PluginError, match="did you mean 'fgsm'"):
        ATTACKS.get("fgsn")


def test_make_config_rejects_unknown_keys_with_path() -> None:
    with pytest.raises(ConfigError, match=r"attacks\.2\.params\.epz.*'eps'"):
        ATTACKS.make_config("pgd", {"epz": 0.1}, where="attacks.2")
    cfg = ATTACKS.make_config("pgd", {"eps": 0.2, "steps": 5})
    assert cfg.eps == 0.2 and cfg.steps == 5  # type: ignore[attr-defined]


def test_register_validates_and_refuses_duplicates() -> None:
    reg = Registry("thing", "safedl.test-things")

    @reg.register("a", family="x", access="labels")
    class A:
        class Config(PluginConfig):
            k: int = 1

        def __init__(self, config: PluginConfig) -> None:
            self.config = config

    assert reg.create("a", {"k": 3}).config.k == 3
    with pytest.raises(PluginError, match="registered twice"):

        @reg.register("a", family="x", access="labels")
        class B(A):
            pass

    with pytest.raises(PluginError, match="no Config"):

        @reg.register("c", family="x", access="labels")
        class C:
            pass

    with pytest.raises(PluginError, match="access must be"):
        reg.register("d", family="x", access="telepathy")
