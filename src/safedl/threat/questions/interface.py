"""Questions about the interface: who can query, what they see, and what they can touch."""

from __future__ import annotations

from safedl.threat.question import Choice, Question

SECTION = "interface"

INTERFACE_QUESTIONS: tuple[Question, ...] = (
    Question(
        id="query_access",
        section=SECTION,
        text="Who can send inputs to the model and see its response?",
        help="Query access is what black-box evasion, model stealing and membership inference "
        "need. Count whoever can reach the interface, including through an app.",
        choices=(
            Choice("none", "Nobody outside the system (batch or embedded use, no interface)"),
            Choice("internal", "Authenticated employees or internal services"),
            Choice("customers", "Authenticated customers or partners (accounts)"),
            Choice("public", "Anyone, anonymously or with a free account"),
        ),
        assume=("public",),
        assumption="anyone can query the model",
    ),
    Question(
        id="response_content",
        section=SECTION,
        text="What does a response contain?",
        help="Scores let an attacker estimate gradients (score-based attacks) and leak more "
        "about the training data; a label alone still allows decision-based attacks.",
        choices=(
            Choice("scores", "Probabilities or logits for every class"),
            Choice("top_k", "The top-k classes with their scores"),
            Choice("label", "Only the predicted label or a decision (accept/reject)"),
        ),
        assume=("scores",),
        assumption="responses contain every class's probability (score-based attacks apply)",
    ),
    Question(
        id="rate_limit",
        section=SECTION,
        text="How many queries can one client make?",
        help="Sets the query budget of black-box attacks and model stealing. A limit that a "
        "new free account resets is no limit.",
        choices=(
            Choice("strict", "Strict: lockout after a few tries, or under ~1,000 a day"),
            Choice("moderate", "Moderate: about 1,000 to 100,000 a day per client"),
            Choice("none", "No limit per client, or accounts are free to create"),
        ),
        assume=("none",),
        assumption="no rate limit: a query budget of 100,000",
    ),
    Question(
        id="weights_exposure",
        section=SECTION,
        text="Where do the model's weights live?",
        help="Weights shipped inside an app or a device can be extracted, which makes the "
        "attacker white-box: gradient attacks with no query limit.",
        choices=(
            Choice("server", "Only on our servers"),
            Choice("on_device", "Shipped to devices (phone app, vehicle, camera)"),
            Choice("downloadable", "Published or downloadable"),
        ),
        assume=("on_device",),
        assumption="the attacker can obtain the weights (white-box)",
    ),
    Question(
        id="architecture_public",
        section=SECTION,
        text="Is the architecture or the pretrained backbone public?",
        help="A known architecture or backbone lets an attacker build a close surrogate "
        "model and transfer adversarial examples from it (grey-box).",
        choices=(
            Choice("public", "Yes: a published architecture or a public pretrained backbone"),
            Choice("family", "The model family is known or easy to guess"),
            Choice("secret", "No: a custom architecture, kept secret"),
        ),
        assume=("public",),
        assumption="the architecture is public (transfer attacks from a surrogate apply)",
    ),
    Question(
        id="input_control",
        section=SECTION,
        text="How can an attacker influence the inputs the model sees?",
        help="Digital control means the attacker submits the image itself, pixel for pixel; "
        "physical control means they can change what the camera sees (stickers, printed "
        "photos, glasses). Choose all that apply.",
        choices=(
            Choice("digital", "Digitally: they submit the image file itself"),
            Choice("physical", "Physically: they change the scene or the object in front of it"),
            Choice("none", "Not at all: inputs come only from our own trusted sources"),
        ),
        assume=("digital", "physical"),
        assumption="the attacker controls inputs both digitally and physically",
        multi=True,
        exclusive=("none",),
    ),
)
