"""What every stage of a run can reach: profile, record, store, device, data and the baseline."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from safedl.assess import AssessSettings, ModelUnderTest, TrainingRecipe
from safedl.config.profile import Profile
from safedl.data import DataSplits, TensorData, load_dataset
from safedl.errors import ModelError, RunError
from safedl.evaluation.metrics import Rate
from safedl.executor import get_executor
from safedl.models import FreshModel, ModelAdapter, build_model
from safedl.models.remote import RemoteOracles, remote_oracles
from safedl.pipeline.record import Record
from safedl.store import ArtifactStore
from safedl.threat.model import ThreatAssessment
from safedl.threat.scope import assessment_from_result


@dataclass
class RunContext:
    """Shared, lazily loaded state of one run."""

    profile: Profile
    run_dir: Path
    record: Record
    store: ArtifactStore
    device: torch.device
    _splits: DataSplits | None = field(default=None, repr=False)
    _baseline: ModelAdapter | None = field(default=None, repr=False)
    _evaluation_set: TensorData | None = field(default=None, repr=False)
    _target: ModelUnderTest | None = field(default=None, repr=False)
    _remote: RemoteOracles | None = field(default=None, repr=False)
    #: The applied defenses, ``(model name, DefendedModel)``, once the defense stage ran.
    _defended: list[tuple[str, Any]] | None = field(default=None, repr=False)

    @property
    def seed(self) -> int:
        return self.profile.seed

    @property
    def plots_dir(self) -> Path:
        path = self.run_dir / "plots"
        path.mkdir(exist_ok=True)
        return path

    def splits(self) -> DataSplits:
        """The dataset's seeded train/val/test splits (loaded once per run)."""
        if self._splits is None:
            self._splits = load_dataset(self.profile.dataset, seed=self.seed)
        return self._splits

    def new_model(self) -> ModelAdapter:
        """A freshly built (or weight-loaded) model of the profile, wrapped in an adapter."""
        splits = self.splits()
        module = build_model(self.profile.model, splits.input_shape, splits.num_classes)
        return ModelAdapter(
            module,
            input_shape=splits.input_shape,
            num_classes=splits.num_classes,
            normalization=self.profile.model.normalization,
            device=self.device,
        )

    @property
    def is_remote(self) -> bool:
        """The model under test is a served endpoint (the profile's ``target``)."""
        return self.profile.target is not None

    def remote(self) -> RemoteOracles:
        """The Oracle factory of the profile's ``target`` endpoint (connected once per run)."""
        target = self.profile.target
        if target is None:
            raise RunError("this run has no target endpoint")
        if self._remote is None:
            self._remote = remote_oracles(
                target.url,
                api_key_env=target.api_key_env,
                timeout=target.timeout,
                max_wait=target.max_wait,
                names=("target.url", "target.api_key_env"),
            )
        return self._remote

    def baseline(self) -> ModelAdapter:
        """The undefended model: from the profile's weights or the stored trained artifact."""
        if self.profile.target is not None:
            raise ModelError(
                f"the model under test is served at {self.profile.target.url}; this step "
                "needs the model itself",
                hint="assess the model where its weights are (model.weights) for white-box steps",
            )
        if self._baseline is None:
            model = self.new_model()
            key = self.record.result("baseline").get("artifact")
            if key:
                if not self.store.has(key):
                    raise RunError(
                        f"{self.store.root}: baseline artifact {key} is missing",
                        hint="delete the run directory's record.json to retrain",
                    )
                self.store.load_model(key, model.module)
            model.module.eval()
            self._baseline = model
        return self._baseline

    def evaluation_set(self) -> TensorData:
        """The seeded subset of the test split that attacks are evaluated on (built once)."""
        if self._evaluation_set is None:
            test = self.splits().test
            n = min(self.profile.evaluation.samples, len(test))
            gen = torch.Generator().manual_seed(self.seed)
            index = torch.randperm(len(test), generator=gen)[:n].sort().values
            self._evaluation_set = test.subset(index)
        return self._evaluation_set

    def fresh_model(self) -> FreshModel:
        """Builds the profile's architecture from scratch, seeded like the baseline."""
        splits = self.splits()
        return FreshModel(
            self.profile.model,
            splits.input_shape,
            splits.num_classes,
            seed=self.seed,
            device=self.device,
            normalization=self.profile.model.normalization,
        )

    def recipe(self) -> TrainingRecipe:
        """How the baseline was trained: what poisoning attacks and defenses retrain."""
        splits = self.splits()
        measured = self.record.result("baseline").get("test_accuracy")
        return TrainingRecipe(
            new_model=self.fresh_model(),
            training=self.profile.training,
            train=splits.train,
            val=splits.val,
            test=splits.test,
            model_spec=self.profile.model.model_dump(mode="json", exclude={"weights"}),
            classes=splits.classes,
            test_accuracy=Rate(**measured) if measured else None,
            from_weights=bool(self.profile.model.weights) or self.is_remote,
        )

    def baseline_target(self) -> ModelUnderTest:
        """The baseline as a model under test: white-box with local Oracles and its recipe, or
        a served ``target`` with its endpoint's Oracles and the recipe the attacker assumes."""
        if self._target is None and self.is_remote:
            self._target = ModelUnderTest.remote(self.remote(), recipe=self.recipe())
        if self._target is None:
            self._target = ModelUnderTest.local(
                self.baseline(),
                name="baseline",
                recipe=self.recipe(),
                batch_size=self.profile.evaluation.batch_size,
            )
        return self._target

    def settings(self) -> AssessSettings:
        """How this run's units of work run (store, seed, batch size)."""
        ev = self.profile.evaluation
        executor = get_executor("processes", ev.workers) if ev.workers > 1 else None
        settings = AssessSettings(self.store, seed=self.seed, batch_size=ev.batch_size)
        if executor is not None:
            settings.executor = executor
        return settings

    def threat(self) -> ThreatAssessment | None:
        """The threat model this run assessed, or None when the profile states none."""
        return assessment_from_result(self.record.result("threat_model"))
