"""``safedl serve RUN_DIR``: serve a run's model over HTTP with its detectors in the path."""

from __future__ import annotations

import typer


def serve_command(
    run_dir: str = typer.Argument(..., help="A finished run directory (safedl run --out)."),
    model: str = typer.Option("baseline", help="baseline, or a defended model of the run."),
    host: str = typer.Option("127.0.0.1", help="Address to bind (loopback by default)."),
    port: int = typer.Option(8000, min=0, max=65535, help="Port to listen on."),
    config: str | None = typer.Option(
        None, "--config", help="Serve config YAML (clients, limits, output, detectors, log)."
    ),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes."),
    device: str = typer.Option("cpu", help="cpu, cuda or auto."),
) -> None:
    """Serve the model: API keys, rate limits, validation, output policy, detectors, metrics."""
    from safedl.serve.runner import serve

    serve(run_dir, model=model, host=host, port=port, config=config, workers=workers, device=device)
