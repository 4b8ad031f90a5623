"""Questions about the asset and its task: what is classified, and what an error costs."""

from __future__ import annotations

from safedl.threat.question import Choice, Question

SECTION = "asset"

ASSET_QUESTIONS: tuple[Question, ...] = (
    Question(
        id="modality",
        section=SECTION,
        text="What kind of images does the model classify?",
        help="Sets the perturbation budget: how much a pixel may change before a person "
        "notices depends on the images (8/255 is the usual L∞ budget for photos, 0.1 for "
        "small grayscale digits).",
        choices=(
            Choice("natural", "Natural photos or camera frames (RGB)"),
            Choice("medical", "Medical images (X-ray, CT, MRI, pathology, dermatology)"),
            Choice("faces", "Faces (identification, authentication)"),
            Choice("documents", "Scanned documents, text or screenshots"),
            Choice("small_grayscale", "Small grayscale images (digits, sketches, MNIST-like)"),
            Choice("other", "Other images"),
        ),
        assume=("natural",),
        assumption="natural photos: ε = 8/255 (L∞) and 0.5 (L2), the common benchmark budgets",
    ),
    Question(
        id="criticality",
        section=SECTION,
        text="How critical is a wrong decision of the model?",
        help="Sets the impact of integrity threats (a wrong or attacker-chosen output).",
        choices=(
            Choice("low", "Low: an inconvenience, easily noticed and corrected"),
            Choice("moderate", "Moderate: financial or operational loss"),
            Choice("high", "High: serious harm to people, large losses or legal consequences"),
            Choice("safety", "Safety-critical: injury or death"),
        ),
        assume=("safety",),
        assumption="an error is safety-critical (impact 5 for integrity threats)",
    ),
    Question(
        id="human_oversight",
        section=SECTION,
        text="Does a person review the model's decisions before they take effect?",
        help="Human review catches some manipulated decisions and lowers the impact of "
        "integrity threats; it does nothing against privacy or model theft.",
        choices=(
            Choice("all", "Yes, every decision is reviewed"),
            Choice("sampled", "Some: spot checks, appeals or escalations"),
            Choice("none", "No, decisions take effect automatically"),
        ),
        assume=("none",),
        assumption="no human review: manipulated decisions take effect",
    ),
    Question(
        id="model_value",
        section=SECTION,
        text="Is the model valuable intellectual property?",
        help="Sets the impact of model stealing (via queries) and weight theft.",
        choices=(
            Choice("low", "No: public weights, or cheap to retrain"),
            Choice("moderate", "Somewhat: some competitive value"),
            Choice("high", "Yes: core IP built on costly data, labels or training"),
        ),
        assume=("high",),
        assumption="the model is core IP (impact 4 for stealing it)",
    ),
    Question(
        id="data_sensitivity",
        section=SECTION,
        text="How sensitive is the training data?",
        help="Sets the impact of privacy threats: membership inference and model inversion "
        "reveal facts about the training data.",
        choices=(
            Choice("public", "Public data"),
            Choice("internal", "Proprietary, but not about people"),
            Choice("personal", "Personal data (GDPR personal data, PII)"),
            Choice("regulated", "Special-category or regulated: health, biometrics, minors"),
        ),
        assume=("regulated",),
        assumption="the training data is regulated personal data (impact 5 for privacy threats)",
    ),
)
