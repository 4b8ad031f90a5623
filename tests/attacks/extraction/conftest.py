"""Fixtures of the extraction tests: the shared Fashion-MNIST victim."""

from __future__ import annotations

import pytest
from tests.attacks.extraction.victim import Victim, fmnist_victim


@pytest.fixture(scope="session")
def victim(tmp_path_factory: pytest.TempPathFactory) -> Victim:
    return fmnist_victim(tmp_path_factory.getbasetemp())
