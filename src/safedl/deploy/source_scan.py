"""DC07 and DC09: scan the project's Python source with ``ast`` (not text search).

DC07 resolves what a call refers to: ``torch.load``, ``import torch as t; t.load``,
``from torch import load [as l]``, ``torch.serialization.load``, and simple re-bindings
(``loader = torch.load``). A call passes only with the literal ``weights_only=True``; a
missing argument (the default was False before torch 2.6), ``weights_only=False``, a variable
or ``**kwargs`` fail, each reported as file:line.

DC09 flags Keras loading with ``safe_mode`` other than the literal True and calls of
``enable_unsafe_deserialization()``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from safedl.deploy.context import CheckContext
from safedl.deploy.types import Location, Outcome

MAX_SOURCE_BYTES = 2_000_000
_TORCH_LOADERS = frozenset({"torch.load", "torch.serialization.load"})


@dataclass(frozen=True)
class SourceHit:
    path: Path
    line: int
    what: str


def parse(path: Path) -> ast.Module | str:
    """The module's AST, or why it could not be parsed."""
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            return "larger than 2 MB, not scanned"
        return ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError) as exc:
        return f"not parsed ({type(exc).__name__}: {exc})"


class _Resolver(ast.NodeVisitor):
    """Map local names to the dotted objects they were imported or assigned from."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.names[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.names[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and node.level == 0:
            for alias in node.names:
                self.names[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def visit_Assign(self, node: ast.Assign) -> None:
        target = self.dotted(node.value)
        if target is not None:
            for t in node.targets:
                if isinstance(t, ast.Name):
                    self.names[t.id] = target
        self.generic_visit(node)

    def dotted(self, node: ast.AST) -> str | None:
        """The dotted name ``node`` refers to, through the known bindings."""
        if isinstance(node, ast.Name):
            return self.names.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        return None


def _resolver(tree: ast.Module) -> _Resolver:
    resolver = _Resolver()
    resolver.visit(tree)
    return resolver


def _literal(node: ast.expr) -> object:
    return node.value if isinstance(node, ast.Constant) else ...


def torch_load_hits(tree: ast.Module, path: Path) -> list[SourceHit]:
    """Every torch.load call in ``tree`` that does not pass ``weights_only=True``."""
    resolver = _resolver(tree)
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = resolver.dotted(node.func)
        if target not in _TORCH_LOADERS:
            continue
        kw = {k.arg: k.value for k in node.keywords}
        if "weights_only" in kw:
            value = _literal(kw["weights_only"])
            if value is True:
                continue
            what = (
                "weights_only=False"
                if value is False
                else f"weights_only={ast.unparse(kw['weights_only'])} (not the literal True)"
            )
        elif None in kw:
            what = "**kwargs: weights_only cannot be verified"
        else:
            what = "no weights_only (the default was False before torch 2.6)"
        hits.append(SourceHit(path, node.lineno, f"{target}(...) with {what}"))
    return hits


def keras_hits(tree: ast.Module, path: Path) -> list[SourceHit]:
    """Keras loading with safe_mode other than True, and unsafe deserialization switches."""
    resolver = _resolver(tree)
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = resolver.dotted(node.func) or ast.unparse(node.func)
        if name.endswith("enable_unsafe_deserialization"):
            hits.append(SourceHit(path, node.lineno, f"{name}() turns safe mode off"))
            continue
        for k in node.keywords:
            if k.arg == "safe_mode" and _literal(k.value) is not True:
                hits.append(
                    SourceHit(path, node.lineno, f"{name}(..., safe_mode={ast.unparse(k.value)})")
                )
    return hits


def _scan(ctx: CheckContext, kind: str) -> tuple[list[SourceHit], list[str], int]:
    def run() -> tuple[list[SourceHit], list[str], int]:
        hits: list[SourceHit] = []
        notes: list[str] = []
        for path in ctx.files.python:
            tree = ctx.cached(f"ast:{path}", lambda p=path: parse(p))  # type: ignore[misc]
            if isinstance(tree, str):
                notes.append(f"{ctx.display(path)}: {tree}")
                continue
            hits += torch_load_hits(tree, path) if kind == "torch" else keras_hits(tree, path)
        return hits, notes, len(ctx.files.python)

    return ctx.cached(f"scan:{kind}", run)


def _outcome(
    ctx: CheckContext, hits: list[SourceHit], notes: list[str], n: int, what: str
) -> Outcome:
    details = tuple(f"{ctx.display(h.path)}:{h.line}: {h.what}" for h in hits) + tuple(notes)
    if hits:
        return Outcome.failed(
            f"{len(hits)} unsafe {what} in {len({h.path for h in hits})} file(s): {details[0]}"
            + (f" (+{len(hits) - 1} more)" if len(hits) > 1 else ""),
            details=details,
            locations=tuple(Location(ctx.display(h.path), h.line) for h in hits),
        )
    return Outcome.passed(f"no unsafe {what} in {n - len(notes)} Python file(s)", details=details)


def check_torch_load(ctx: CheckContext) -> Outcome:
    """DC07: every torch.load call passes the literal weights_only=True."""
    if not ctx.files.python:
        return Outcome.skipped("no Python source under the given paths")
    hits, notes, n = _scan(ctx, "torch")
    return _outcome(ctx, hits, notes, n, "torch.load call(s)")


def check_keras_safe_mode(ctx: CheckContext) -> Outcome:
    """DC09: no safe_mode=False and no enable_unsafe_deserialization()."""
    if not ctx.files.python:
        return Outcome.skipped("no Python source under the given paths")
    hits, notes, n = _scan(ctx, "keras")
    return _outcome(ctx, hits, notes, n, "Keras deserialization(s)")


__all__ = ["check_keras_safe_mode", "check_torch_load", "keras_hits", "torch_load_hits"]
