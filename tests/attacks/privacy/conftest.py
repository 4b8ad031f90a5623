"""Fixtures of the privacy tests: the shared Fashion-MNIST membership game."""

from __future__ import annotations

import pytest
from tests.attacks.privacy.game import Game, fmnist_game


@pytest.fixture(scope="session")
def game(tmp_path_factory: pytest.TempPathFactory) -> Game:
    return fmnist_game(tmp_path_factory.getbasetemp())
