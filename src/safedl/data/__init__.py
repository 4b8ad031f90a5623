"""Datasets: registered sources and user specs, validated and split into in-memory tensors.

>>> from safedl.config import DatasetConfig
>>> from safedl.data import load_dataset
>>> splits = load_dataset(DatasetConfig(name="digits"), seed=0)
>>> len(splits.train) > 0 and splits.input_shape == (1, 8, 8)
True

Sources: ``digits`` (bundled with scikit-learn), ``fashion_mnist``, ``mnist``, ``cifar10``
(local files, or a torchvision download when it is installed), and the specs ``npz:PATH``,
``folder:PATH`` and ``python:module:function``. Every problem raises
:class:`safedl.errors.DataError`.
"""

from safedl.data.dataset import DataSplits, TensorData
from safedl.data.loader import dataset_names, load_dataset

__all__ = ["DataSplits", "TensorData", "dataset_names", "load_dataset"]
