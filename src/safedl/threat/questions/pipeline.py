"""Questions about the data pipeline: where data and labels come from, who trains, provenance."""

from __future__ import annotations

from safedl.threat.question import Choice, Question

SECTION = "data"

PIPELINE_QUESTIONS: tuple[Question, ...] = (
    Question(
        id="data_sources",
        section=SECTION,
        text="Where does the training data come from?",
        help="Data that outsiders can contribute to (scraped pages, user uploads, production "
        "feedback) can be poisoned. Choose all that apply.",
        choices=(
            Choice("internal", "Collected by us, under our control"),
            Choice("licensed", "Licensed or vetted vendor datasets"),
            Choice("public_datasets", "Public research datasets"),
            Choice("scraped", "Scraped from the web"),
            Choice("user_contributed", "Uploaded or contributed by users"),
            Choice("feedback_loop", "Production inputs or feedback are fed back into training"),
        ),
        assume=("scraped", "user_contributed", "feedback_loop"),
        assumption="outsiders can contribute training data (scraped, user uploads, feedback)",
        multi=True,
    ),
    Question(
        id="labeling",
        section=SECTION,
        text="Who labels the training data?",
        help="Whoever assigns labels can flip them. Choose all that apply.",
        choices=(
            Choice("experts", "In-house experts"),
            Choice("vendor", "A vetted labelling vendor"),
            Choice("crowd", "Crowd workers (an open marketplace)"),
            Choice("automatic", "Automatically: heuristics, another model, user behaviour"),
            Choice("users", "Users label their own data or flag content"),
        ),
        assume=("crowd", "users"),
        assumption="outsiders assign labels (crowd workers, users)",
        multi=True,
    ),
    Question(
        id="training",
        section=SECTION,
        text="Who trains the model?",
        help="Whoever trains the model controls it: outsourced training is the threat model "
        "of the original backdoor attack (BadNets); federated clients send model updates.",
        choices=(
            Choice("in_house", "We do, on our own infrastructure"),
            Choice("outsourced", "A third party or a training service (MLaaS)"),
            Choice("federated", "Federated: clients compute the updates"),
        ),
        assume=("outsourced",),
        assumption="a third party trains the model",
        multi=True,
    ),
    Question(
        id="third_party",
        section=SECTION,
        text="Do you use third-party models or pickled files?",
        help="A pretrained backbone can carry a backdoor that survives fine-tuning; loading "
        "a pickle (.pkl, joblib, torch.load without weights_only) runs arbitrary code.",
        choices=(
            Choice("pretrained", "Pretrained weights or backbones from a public hub"),
            Choice("pickled", "Model or data files loaded with pickle"),
            Choice("none", "Neither: trained from scratch, safe formats only"),
        ),
        assume=("pretrained", "pickled"),
        assumption="third-party pretrained weights and pickled files are used",
        multi=True,
        exclusive=("none",),
    ),
    Question(
        id="provenance",
        section=SECTION,
        text="Are the provenance and hashes of data and models tracked?",
        help="Verified hashes or signatures stop a swapped dataset or model file; versioning "
        "alone shows what changed but not whether it was tampered with.",
        choices=(
            Choice("verified", "Yes: hashed or signed, and verified before use"),
            Choice("versioned", "Versioned, but not verified"),
            Choice("none", "Not tracked"),
        ),
        assume=("none",),
        assumption="provenance is not tracked",
    ),
)
