"""A separately installed package adds plugins through the safedl.attacks/defenses groups.

scripts/setup.sh --dev installs tests/fixtures/safedl_example_plugin, as a user would install a
plugin package; the catalogue, the profile validator and the run then see its plugins.
"""

from __future__ import annotations

import importlib.metadata as md

import pytest
import torch

from safedl.errors import ConfigError
from safedl.profiles import profile_from_dict
from safedl.registry import ATTACKS, DEFENSES


@pytest.fixture(scope="module", autouse=True)
def _installed() -> None:
    try:
        md.distribution("safedl-example-plugin")
    except md.PackageNotFoundError:
        pytest.fail("the example plugin package is not installed; run scripts/setup.sh --dev")


def test_plugins_appear_in_catalogue_with_source() -> None:
    info = ATTACKS.get("uniform_noise")
    assert info.source == "safedl_example_plugin"
    assert DEFENSES.get("bit_depth").family == "input"


def test_plugin_params_validated_in_profiles() -> None:
    profile = profile_from_dict(
        {"name": "p", "attacks": [{"name": "uniform_noise", "params": {"eps": 0.2}}]}
    )
    assert profile.attacks[0].name == "uniform_noise"
    with pytest.raises(ConfigError, match=r"defenses\.0\.params\.bits"):
        profile_from_dict(
            {"name": "p", "defenses": [{"name": "bit_depth", "params": {"bits": 99}}]}
        )


def test_plugin_runs_like_a_builtin(trained_digits: tuple) -> None:
    model, data = trained_digits
    result = ATTACKS.create("uniform_noise", {"eps": 0.05}, seed=0).run(model, data)
    assert result.within_bounds
    assert result.attack == "uniform_noise"
    squeezed = DEFENSES.create("bit_depth", {"bits": 1})(torch.tensor([0.2, 0.7]))
    assert squeezed.tolist() == [0.0, 1.0]
