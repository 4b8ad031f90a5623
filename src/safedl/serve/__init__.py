"""Serve an assessed model over HTTP, safely, with detectors in the request path.

``safedl serve RUN_DIR`` builds the app with :func:`safedl.serve.app.create_app` from a run's
artifact store (:mod:`safedl.serve.model_source`) and a serve config
(:mod:`safedl.serve.config`): API keys stored hashed, per-client rate limits and quotas,
body and batch limits, strict input validation, an output policy, per-input and per-client
detectors, a JSON log line per request and Prometheus metrics behind the admin key. The same
package holds the other direction: an Oracle backed by a served endpoint
(:mod:`safedl.models.remote`) and the summary of a request log
(:mod:`safedl.serve.monitor_report`).

FastAPI, uvicorn, httpx and prometheus-client are optional: ``pip install 'safedl[deploy]'``.
Nothing here imports them at import time.
"""
