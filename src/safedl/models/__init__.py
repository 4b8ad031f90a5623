"""Models: the built-in architectures, user factories, weights, ModelAdapter and Oracle.

* :func:`build_model` turns a profile's ``model`` section into an ``nn.Module`` (built-in
  architecture or ``'file.py:factory'`` / ``'package.module:factory'``), loads its weights and
  checks that it fits the dataset.
* :class:`ModelAdapter` is white-box access: ``[0, 1]`` inputs, normalisation inside, device
  handling, batched predictions, and :meth:`ModelAdapter.attack_mode` for gradient attacks.
* :class:`Oracle` is black-box access: probabilities, top-k or labels only, counted and
  budgeted.
* :func:`load_weights` / :func:`save_weights` read safetensors or state-dict pickles (never
  whole-model pickles) and write safetensors atomically.
"""

from __future__ import annotations

from safedl.models.adapter import ModelAdapter
from safedl.models.build import build_model
from safedl.models.device import resolve_device
from safedl.models.factory import FreshModel
from safedl.models.fit import check_fit
from safedl.models.identity import model_fingerprint, weights_fingerprint
from safedl.models.oracle import Oracle, OracleFactory, QueryBudgetExceeded, local_oracles
from safedl.models.registry import BUILTINS, builtin_params, model_names
from safedl.models.weights import load_weights, read_state_dict, save_weights

__all__ = [
    "BUILTINS",
    "FreshModel",
    "ModelAdapter",
    "Oracle",
    "OracleFactory",
    "QueryBudgetExceeded",
    "build_model",
    "builtin_params",
    "check_fit",
    "load_weights",
    "local_oracles",
    "model_fingerprint",
    "model_names",
    "read_state_dict",
    "resolve_device",
    "save_weights",
    "weights_fingerprint",
]
