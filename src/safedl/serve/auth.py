"""API-key authentication: a key names its client; only the key's sha256 is kept."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from safedl.serve.config import ClientConfig, hash_key


class Authenticator:
    """Finds the client of a presented key (constant-time comparison of the hashes)."""

    def __init__(self, clients: Mapping[str, ClientConfig]) -> None:
        self.clients = dict(clients)

    @staticmethod
    def presented(authorization: str | None, api_key: str | None) -> str | None:
        """The key of an ``Authorization: Bearer KEY`` or ``X-API-Key: KEY`` header."""
        if api_key:
            return api_key.strip()
        if authorization and authorization[:7].lower() == "bearer ":
            return authorization[7:].strip()
        return None

    def client(self, key: str | None) -> str | None:
        """The name of the client whose key is ``key``, or None."""
        if not key:
            return None
        digest = hash_key(key)
        found = None
        for name, c in self.clients.items():  # every entry compared: no timing shortcut
            if hmac.compare_digest(c.key_sha256, digest):
                found = name
        return found


__all__ = ["Authenticator"]
