"""Threat-model presets: complete answer sets for six realistic contexts.

A preset answers every question; ``safedl threat-model --preset NAME`` starts from it and lets
the user change answers (interactively, or with ``--answers`` overriding some of them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from safedl.errors import ConfigError
from safedl.suggest import did_you_mean


@dataclass(frozen=True)
class Preset:
    """A named context and its answers (plain YAML-style values)."""

    name: str
    title: str
    description: str
    answers: dict[str, Any]


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "traffic-sign",
            "Traffic-sign recognition in a vehicle",
            "The model ships inside the car; anyone can put stickers on a sign. A wrong sign "
            "can kill, so white-box and physical evasion dominate.",
            {
                "modality": "natural",
                "criticality": "safety",
                "human_oversight": "none",
                "model_value": "moderate",
                "data_sensitivity": "internal",
                "query_access": "none",
                "response_content": "label",
                "rate_limit": "none",
                "weights_exposure": "on_device",
                "architecture_public": "public",
                "input_control": ["physical"],
                "data_sources": ["internal", "public_datasets"],
                "labeling": ["vendor"],
                "training": ["in_house"],
                "third_party": ["pretrained"],
                "provenance": "versioned",
                "deployment": ["edge"],
                "adversaries": ["opportunists", "activists", "criminals"],
                "capability": "medium",
                "aims": ["misclassify", "targeted"],
            },
        ),
        Preset(
            "medical-imaging",
            "Medical imaging diagnosis",
            "A diagnostic model behind a hospital integration, trained on patients' scans. "
            "Privacy of the training data and manipulated scans (fraud) matter most.",
            {
                "modality": "medical",
                "criticality": "high",
                "human_oversight": "sampled",
                "model_value": "high",
                "data_sensitivity": "regulated",
                "query_access": "customers",
                "response_content": "scores",
                "rate_limit": "moderate",
                "weights_exposure": "server",
                "architecture_public": "public",
                "input_control": ["digital"],
                "data_sources": ["internal", "licensed"],
                "labeling": ["experts"],
                "training": ["in_house"],
                "third_party": ["pretrained"],
                "provenance": "versioned",
                "deployment": ["cloud_api"],
                "adversaries": ["criminals", "insiders"],
                "capability": "medium",
                "aims": ["misclassify", "learn_data"],
            },
        ),
        Preset(
            "face-auth-mobile",
            "Face authentication on a phone",
            "The model unlocks a phone; its weights ship in the app. Impersonation with "
            "printed photos or glasses, and extraction of the on-device model, are the threats.",
            {
                "modality": "faces",
                "criticality": "high",
                "human_oversight": "none",
                "model_value": "moderate",
                "data_sensitivity": "regulated",
                "query_access": "public",
                "response_content": "label",
                "rate_limit": "strict",
                "weights_exposure": "on_device",
                "architecture_public": "public",
                "input_control": ["digital", "physical"],
                "data_sources": ["licensed", "public_datasets"],
                "labeling": ["vendor"],
                "training": ["in_house"],
                "third_party": ["pretrained"],
                "provenance": "verified",
                "deployment": ["mobile"],
                "adversaries": ["criminals", "opportunists"],
                "capability": "medium",
                "aims": ["targeted", "learn_data"],
            },
        ),
        Preset(
            "cloud-api",
            "Public cloud classification API",
            "A paid image-classification endpoint that returns the top-k classes with scores. "
            "Black-box evasion, model stealing and abuse of the API are the threats.",
            {
                "modality": "natural",
                "criticality": "moderate",
                "human_oversight": "none",
                "model_value": "high",
                "data_sensitivity": "internal",
                "query_access": "public",
                "response_content": "top_k",
                "rate_limit": "moderate",
                "weights_exposure": "server",
                "architecture_public": "family",
                "input_control": ["digital"],
                "data_sources": ["internal", "licensed"],
                "labeling": ["vendor"],
                "training": ["in_house"],
                "third_party": ["none"],
                "provenance": "verified",
                "deployment": ["cloud_api"],
                "adversaries": ["competitors", "opportunists", "criminals"],
                "capability": "medium",
                "aims": ["misclassify", "steal", "disrupt"],
            },
        ),
        Preset(
            "content-moderation",
            "Content moderation trained on user uploads",
            "Flags uploaded images; retrained on uploads, user reports and crowd labels. "
            "Poisoning and backdoors through the data pipeline dominate.",
            {
                "modality": "natural",
                "criticality": "high",
                "human_oversight": "sampled",
                "model_value": "moderate",
                "data_sensitivity": "personal",
                "query_access": "public",
                "response_content": "label",
                "rate_limit": "none",
                "weights_exposure": "server",
                "architecture_public": "public",
                "input_control": ["digital"],
                "data_sources": ["user_contributed", "feedback_loop", "public_datasets"],
                "labeling": ["crowd", "users"],
                "training": ["in_house"],
                "third_party": ["pretrained"],
                "provenance": "none",
                "deployment": ["cloud_api"],
                "adversaries": ["criminals", "activists", "opportunists"],
                "capability": "medium",
                "aims": ["misclassify", "targeted", "disrupt"],
            },
        ),
        Preset(
            "internal-vetted",
            "Internal model trained on vetted data",
            "An internal tool: employees submit scans of forms; data and labels are in-house and "
            "verified. Risk is low; a basic robustness check against misuse by insiders remains.",
            {
                "modality": "small_grayscale",
                "criticality": "moderate",
                "human_oversight": "none",
                "model_value": "moderate",
                "data_sensitivity": "internal",
                "query_access": "internal",
                "response_content": "label",
                "rate_limit": "strict",
                "weights_exposure": "server",
                "architecture_public": "secret",
                "input_control": ["digital"],
                "data_sources": ["internal"],
                "labeling": ["experts"],
                "training": ["in_house"],
                "third_party": ["none"],
                "provenance": "verified",
                "deployment": ["on_premise"],
                "adversaries": ["insiders"],
                "capability": "low",
                "aims": ["misclassify"],
            },
        ),
    )
}


def preset_names() -> list[str]:
    """Names of the threat-model presets."""
    return sorted(PRESETS)


def get_preset(name: str) -> Preset:
    """The preset called ``name``; an unknown name gets a did-you-mean ConfigError."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(
            f"unknown threat-model preset {name!r}; {did_you_mean(name, PRESETS)}",
            hint="list them with: safedl threat-model presets",
        ) from None


__all__ = ["PRESETS", "Preset", "get_preset", "preset_names"]
