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


def test_registration_refuses_access_its_base_class_does_not_grant() -> None:
    from safedl.attacks.evasion.base import EvasionAttack
    from safedl.attacks.evasion.blackbox import BlackBoxAttack, BlackBoxConfig
    from safedl.attacks.poisoning.base import PoisoningAttack

    reg = Registry("thing", "safedl.test-things")

    with pytest.raises(PluginError, match=r"access 'scores'.*grants only white-box") as exc:

        @reg.register("wb", family="evasion", access="scores")
        class WhiteBox(EvasionAttack):  # type: ignore[type-arg]
            """Gets the adapter, so it may not claim score access."""

            def perturb(self, access, x, y, target, run):  # type: ignore[no-untyped-def]
                return x

    assert "BlackBoxAttack" in str(exc.value)  # the hint names the base to use

    with pytest.raises(PluginError, match=r"access 'white-box'.*grants only scores, labels"):

        @reg.register("bb", family="evasion", access="white-box")
        class BlackBox(BlackBoxAttack):
            """Sees an Oracle only, so it may not claim white-box access."""

            Config = BlackBoxConfig

            def attack(self, oracle, x, y, target, run):  # type: ignore[no-untyped-def]
                return x

    with pytest.raises(PluginError, match="grants only training-data"):

        @reg.register("pz", family="poisoning", access="labels")
        class Poison(PoisoningAttack):
            """Poisoning is training-data access."""

            def craft(self, train, num_classes, *, generator, clean_model, test):  # type: ignore[no-untyped-def]
                raise NotImplementedError

            def outcome(self, model, test, poisoned, batch_size=512):  # type: ignore[no-untyped-def]
                raise NotImplementedError

    @reg.register("ok", family="evasion", access="labels")
    class Fine(BlackBoxAttack):
        """A labels attack on the black-box base is accepted."""

        Config = BlackBoxConfig

        def attack(self, oracle, x, y, target, run):  # type: ignore[no-untyped-def]
            return x

    assert reg.get("ok").access == "labels"
    assert {"wb", "bb", "pz"}.isdisjoint(reg.names())


def test_a_plugin_cannot_widen_the_access_of_its_base() -> None:
    from safedl.attacks.evasion.base import EvasionAttack

    reg = Registry("thing", "safedl.test-things")
    with pytest.raises(PluginError, match="grants only white-box"):

        @reg.register("sneaky", family="evasion", access="labels")
        class Sneaky(EvasionAttack):  # type: ignore[type-arg]
            """Declaring accepted_access on the plugin itself does not count."""

            accepted_access = ("labels",)

            def perturb(self, access, x, y, target, run):  # type: ignore[no-untyped-def]
                return x


def test_classes_without_accepted_access_are_not_checked() -> None:
    reg = Registry("thing", "safedl.test-things")

    @reg.register("free", family="x", access="scores")
    class Free:
        class Config(PluginConfig):
            pass

    assert reg.get("free").access == "scores"
