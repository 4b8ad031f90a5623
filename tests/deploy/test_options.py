"""The deploy config: the README's example loads; mistakes are one clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from safedl.deploy import load_options, validate_options
from safedl.errors import ConfigError

EXAMPLE = """\
allow_pickle: false
pinned_sha256:
  model.safetensors: 8c83876a2a98381549a4cd3927a61e94b457b01fbadc0919eebb64001f451745
signing:
  public_key: keys/model-signing-pub.pem
  require_signature: true
output_policy:
  allow: top_k
  top_k: 1
  decimals: 2
probe:
  max_requests: 60
  max_seconds: 20
  rate_limit_burst: 30
  input_shape: [1, 28, 28]
audit:
  enabled: true
  timeout: 120
"""


def test_readme_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "deploy.yaml"
    path.write_text(EXAMPLE)
    options = load_options(path, allow_pickle=True)
    assert options.allow_pickle is True  # overrides win
    assert options.signing.public_key == tmp_path / "keys" / "model-signing-pub.pem"
    assert options.probe.input_shape == [1, 28, 28] and options.output_policy.allow == "top_k"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"allow_pickles": True}, "unknown key 'allow_pickles'; did you mean 'allow_pickle'"),
        ({"pinned_sha256": {"m.pt": "abc"}}, "not a SHA-256 hex digest"),
        ({"probe": {"max_requests": 0}}, "probe.max_requests"),
        ({"output_policy": {"allow": "everything"}}, "output_policy.allow"),
    ],
)
def test_invalid_options(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        validate_options(data)


def test_unreadable_or_malformed_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the deploy config"):
        load_options(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("probe: [1, 2\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_options(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_options(tmp_path / "list.yaml")
