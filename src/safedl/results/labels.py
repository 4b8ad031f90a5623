"""Attacks and their parameters as a person writes them: "PGD, L∞ ε = 8/255, white-box"."""

from __future__ import annotations

from typing import Any

DISPLAY = {
    "fgsm": "FGSM",
    "pgd": "PGD",
    "apgd_ce": "APGD-CE",
    "apgd_dlr": "APGD-DLR",
    "autoattack_lite": "AutoAttack-lite",
    "cw": "C&W",
    "deepfool": "DeepFool",
    "square": "Square",
    "nes": "NES",
    "spsa": "SPSA",
    "hopskipjump": "HopSkipJump",
    "transfer": "transfer (surrogate)",
    "universal_patch": "universal patch",
    "label_flip": "label flipping",
    "feature_collision": "feature collision (Poison Frogs)",
    "gradient_matching": "gradient matching (Witches' Brew)",
    "badnets": "BadNets",
    "blend": "blend backdoor",
    "wanet": "WaNet",
    "clean_label_backdoor": "clean-label backdoor",
    "loss_threshold": "membership inference (loss threshold)",
    "shadow_models": "membership inference (shadow models)",
    "lira": "membership inference (LiRA)",
    "rmia": "membership inference (RMIA)",
    "label_only": "membership inference (label-only)",
    "mi_face": "model inversion (MI-Face)",
    "knockoff": "model stealing (Knockoff Nets)",
    "jacobian": "model stealing (Jacobian augmentation)",
}
NORMS = {"linf": "L∞", "l2": "L2", "l0": "L0"}
ACCESS = {
    "white-box": "white-box",
    "scores": "scores",
    "labels": "labels only",
    "training-data": "training data",
    "model": "model access",
}


def number(value: Any) -> str:
    """A parameter value as people write it: 16/255 rather than 0.0627450980…, 0.1, 1,000."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    k = value * 255
    if 0 < value < 1 and abs(k - round(k)) < 1e-6 and round(k) not in (0, 51, 102, 153, 204):
        return f"{round(k)}/255"
    return f"{value:.4g}"


def display_name(name: str) -> str:
    return DISPLAY.get(name, name)


def attack_label(name: str, family: str, params: dict[str, Any], access: str | None) -> str:
    """``PGD, L∞ ε = 0.2, white-box`` / ``BadNets, 10% poisoned → class 0``."""
    parts = [display_name(name)]
    if family == "evasion":
        if "eps" in params:
            norm = NORMS.get(str(params.get("norm", "linf")), str(params.get("norm")))
            parts.append(f"{norm} ε = {number(params['eps'])}")
        if params.get("targeted"):
            parts.append("targeted")
    elif family in ("poisoning", "backdoor"):
        fraction = params.get("poison_fraction", params.get("fraction"))
        if fraction is not None:
            parts.append(f"{100 * float(fraction):g}% poisoned")
        if params.get("target_class") is not None:
            parts.append(f"target class {params['target_class']}")
    elif "max_queries" in params:
        parts.append(f"{number(params['max_queries'])} queries")
    if params.get("labels") == "hard":
        access = "labels"  # a hard-label thief reads top-1 labels whatever it was granted
    if access:
        parts.append(ACCESS.get(access, access))
    return ", ".join(parts)


def format_params(params: dict[str, Any]) -> str:
    """``eps=8/255, steps=20`` — every parameter, values as people write them."""
    return ", ".join(f"{k}={number(v)}" for k, v in params.items())


__all__ = ["attack_label", "display_name", "format_params", "number"]
