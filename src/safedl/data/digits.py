"""scikit-learn's bundled handwritten digits: 1,797 images, 8x8, 10 classes, no download.

The smallest real dataset Safe-DL knows: it trains in seconds, so it is the default for
quick assessments and tests. Pixel values 0-16 are scaled to [0, 1]. There is no official
test split; ``dataset.test_fraction`` of it is held out.
"""

from __future__ import annotations

import numpy as np

from safedl.config.profile import DatasetConfig
from safedl.data.raw import RawData

DIGITS_CLASSES = [str(i) for i in range(10)]


def load_digits(cfg: DatasetConfig) -> RawData:
    """Load the digits from scikit-learn (imported lazily; no I/O beyond its bundled file).

    Args:
        cfg: Unused: the digits need no path.

    Returns:
        float images ``[1797, 8, 8]`` in [0, 1] and their labels.
    """
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    images = np.asarray(bunch.images, dtype=np.float32) / np.float32(16.0)
    return RawData(
        source="digits (scikit-learn)",
        x=images,
        y=np.asarray(bunch.target, dtype=np.int64),
        classes=DIGITS_CLASSES,
        layout="NHW",
    )


__all__ = ["DIGITS_CLASSES", "load_digits"]
