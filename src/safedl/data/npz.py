"""``npz:PATH``: a NumPy archive with arrays ``x`` and ``y`` (and optionally ``x_test``,
``y_test`` and ``classes``), as written by ``np.savez(PATH, x=..., y=...)``.

Images may be uint8 (0-255, scaled by 1/255) or float in [0, 1], laid out ``[N, H, W]``,
``[N, C, H, W]`` or ``[N, H, W, C]`` with C in 1, 3 or 4. The file is read with
``allow_pickle=False``: object arrays are refused, so loading a file never runs its code.
"""

from __future__ import annotations

import zipfile

import numpy as np

from safedl.config.profile import DatasetConfig
from safedl.data.raw import RawData, raw_from_mapping, resolve_path
from safedl.errors import DataError

_SAVE_HINT = "np.savez(path, x=images, y=labels)"


def load_npz(path_spec: str, cfg: DatasetConfig) -> RawData:
    """Read an ``.npz`` archive.

    Args:
        path_spec: The path after ``npz:``; relative paths are taken relative to
            ``dataset.root`` when it is set.
        cfg: For ``cfg.root``.

    Returns:
        The archive's arrays as :class:`RawData`.

    Raises:
        DataError: The file is missing, not an ``.npz`` archive, holds object arrays, or
            lacks ``x``/``y``.
    """
    path = resolve_path(path_spec, cfg.root)
    source = str(path)
    if not path.is_file():
        raise DataError(
            f"{source}: no such file",
            hint="check the path in dataset.name ('npz:PATH'); relative paths are relative "
            "to dataset.root when set, else to the working directory",
        )
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise DataError(
                f"{source}: is a single .npy array, not an .npz archive",
                hint=f"save images and labels together with {_SAVE_HINT}",
            )
        with loaded as archive:
            arrays = {key: archive[key] for key in archive.files}
    except DataError:
        raise
    except ValueError as exc:  # pickled data refused by allow_pickle=False
        raise DataError(
            f"{source}: holds pickled (object) data, which Safe-DL does not load ({exc})",
            hint="store numeric arrays (uint8 or float images, integer labels) and classes as "
            "a string array, e.g. np.array(names, dtype=str)",
        ) from exc
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(
            f"{source}: cannot read as an .npz archive ({exc})",
            hint=f"write the file with {_SAVE_HINT}",
        ) from exc
    return raw_from_mapping(arrays, source, what=_SAVE_HINT)


__all__ = ["load_npz"]
