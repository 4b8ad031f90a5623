"""Questions about deployment and the adversary: where the model runs, who attacks, and why."""

from __future__ import annotations

from safedl.threat.question import Choice, Question

DEPLOYMENT_QUESTIONS: tuple[Question, ...] = (
    Question(
        id="deployment",
        section="deployment",
        text="Where is the model deployed?",
        help="Public cloud endpoints invite denial of service and cost harvesting; devices "
        "in attackers' hands expose the model and its outputs. Choose all that apply.",
        choices=(
            Choice("cloud_api", "A cloud API"),
            Choice("edge", "An embedded or edge device (vehicle, camera, kiosk)"),
            Choice("mobile", "A mobile app on users' phones"),
            Choice("on_premise", "On-premise servers (ours or a customer's)"),
        ),
        assume=("cloud_api", "mobile"),
        assumption="deployed both as a public cloud API and on users' phones",
        multi=True,
    ),
)

ADVERSARY_QUESTIONS: tuple[Question, ...] = (
    Question(
        id="adversaries",
        section="adversary",
        text="Who do you expect to attack the system?",
        help="Insiders can read weights and touch the training pipeline; competitors want the "
        "model; criminals want specific wrong decisions. Choose all that apply.",
        choices=(
            Choice("opportunists", "Curious or opportunistic users"),
            Choice("criminals", "Financially motivated criminals or fraudsters"),
            Choice("competitors", "Competitors after the model or the data"),
            Choice("insiders", "Insiders: employees, contractors, labellers"),
            Choice("activists", "Activists or researchers seeking attention"),
            Choice("nation_state", "State-sponsored or similarly resourced groups"),
        ),
        assume=("criminals", "competitors", "insiders"),
        assumption="criminals, competitors and insiders",
        multi=True,
    ),
    Question(
        id="capability",
        section="adversary",
        text="How capable is the strongest attacker you expect?",
        help="Sets the attack strength (iterations, restarts) and how likely attacks that "
        "need expertise (backdoors, model inversion) are.",
        choices=(
            Choice("low", "Low: uses public tools as they are"),
            Choice("medium", "Medium: ML knowledge, adapts published attacks, a GPU or two"),
            Choice("high", "High: an expert team, custom attacks, large compute"),
        ),
        assume=("high",),
        assumption="an expert team with custom attacks and large compute",
    ),
    Question(
        id="aims",
        section="adversary",
        text="What would an attacker want from the model?",
        help="Sets the attacker's goals (integrity, availability, privacy); a specific wrong "
        "decision (impersonation) adds targeted attacks. Choose all that apply.",
        choices=(
            Choice("misclassify", "Any wrong decision (evade detection, cause an error)"),
            Choice("targeted", "A specific wrong decision (impersonation, a chosen class)"),
            Choice("disrupt", "Make the service unavailable, unreliable or costly"),
            Choice("steal", "Steal the model"),
            Choice("learn_data", "Learn about the training data or the people in it"),
        ),
        assume=("misclassify", "targeted", "disrupt", "steal", "learn_data"),
        assumption="every aim: errors, targeted errors, disruption, theft and data leakage",
        multi=True,
    ),
)
