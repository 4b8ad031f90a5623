"""What every stage of a run can reach: profile, record, store, device, data and the baseline."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from safedl.config.profile import Profile
from safedl.data import DataSplits, TensorData, load_dataset
from safedl.errors import RunError
from safedl.models import ModelAdapter, build_model
from safedl.pipeline.record import Record
from safedl.store import ArtifactStore


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

    def baseline(self) -> ModelAdapter:
        """The undefended model: from the profile's weights or the stored trained artifact."""
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
