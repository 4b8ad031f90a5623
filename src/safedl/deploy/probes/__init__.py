"""Endpoint probes: bounded HTTP checks of a live model server (``--url``).

The server contract: ``POST /v1/predict`` with JSON ``{"inputs": [[[...]]]}`` (a batch of
images in [0, 1], shape [N, C, H, W]) and ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``;
``GET /healthz``; ``GET /v1/model`` (``sha256`` or ``content_hash``, optionally
``input_shape`` and ``num_classes``); ``GET /metrics``. Every request goes through one
:class:`~safedl.deploy.probes.session.ProbeSession`, which enforces the request-count and
wall-clock bounds for all probes together.
"""
