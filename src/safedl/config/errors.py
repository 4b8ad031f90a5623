"""Turn pydantic validation errors into messages that name the key path and the fix."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from safedl.suggest import did_you_mean


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the last key of ``loc`` (walking nested models and lists)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Strip Optional[...] and list[...] to find a nested model."""
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        for inner in typing.get_args(arg):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return annotation


def format_validation_error(
    exc: ValidationError, model: type[BaseModel], *, prefix: str = "", source: str = ""
) -> str:
    """One line per problem: ``source: key.path: what is wrong (fix)``."""
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in loc)
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            owner = _model_at(model, loc[:-1])
            valid = list(owner.model_fields) if owner else []
            msg = f"unknown key {str(loc[-1])!r}; {did_you_mean(str(loc[-1]), valid)}"
        elif err["type"] == "missing":
            msg = "required key is missing"
        elif err["type"] == "value_error":  # our own validators' messages say the fix
            msg = msg.removeprefix("Value error, ")
        elif "input" in err and err["type"] not in ("model_type", "dict_type"):
            msg = f"{msg} (got {err['input']!r})"
        where = f"{source}: " if source else ""
        lines.append(f"{where}{path or '<top level>'}: {msg}")
    return "\n".join(lines)
