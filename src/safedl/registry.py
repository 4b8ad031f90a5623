"""The plugin registry: attacks and defenses by name, with metadata and a typed config.

A plugin is a class decorated with ``@ATTACKS.register(...)`` or ``@DEFENSES.register(...)``.
It carries a nested pydantic ``Config`` (a subclass of :class:`PluginConfig`, unknown keys
rejected) that a profile's ``{name, params}`` entry is validated against. Plugins are
imported lazily on first lookup through the entry-point groups ``safedl.attacks`` and
``safedl.defenses`` (an entry point names a module or class whose import registers it): the
built-in ones are declared in Safe-DL's own ``pyproject.toml`` exactly as a third-party package
declares its own, so this module names no plugin.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from safedl.config.errors import format_validation_error
from safedl.errors import ConfigError, PluginError
from safedl.suggest import did_you_mean

log = logging.getLogger(__name__)

T = TypeVar("T", bound=type)

ACCESS_LEVELS = ("white-box", "scores", "labels", "training-data", "model")


class PluginConfig(BaseModel):
    """Base of every plugin's ``Config``: typed, and unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class PluginInfo:
    """What the catalogue knows about one plugin."""

    name: str
    kind: str
    cls: type
    family: str
    access: str
    norms: tuple[str, ...] = ()
    paper: str = ""
    source: str = "builtin"

    @property
    def config_model(self) -> type[PluginConfig]:
        cfg = getattr(self.cls, "Config", None)
        if not (inspect.isclass(cfg) and issubclass(cfg, PluginConfig)):
            raise PluginError(f"{self.kind} {self.name!r} has no Config(PluginConfig) class")
        return cfg

    @property
    def summary(self) -> str:
        doc = inspect.getdoc(self.cls) or ""
        return doc.strip().splitlines()[0] if doc.strip() else ""

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.cls) or ""


@dataclass
class Registry:
    """A catalogue of plugins of one kind (``attack`` or ``defense``)."""

    kind: str
    group: str
    _plugins: dict[str, PluginInfo] = field(default_factory=dict)
    _loaded: bool = False
    load_errors: dict[str, str] = field(default_factory=dict)

    def register(
        self,
        name: str,
        *,
        family: str,
        access: str,
        norms: tuple[str, ...] = (),
        paper: str = "",
    ) -> Callable[[T], T]:
        """Class decorator that adds a plugin to this registry."""
        if access not in ACCESS_LEVELS:
            raise PluginError(f"{self.kind} {name!r}: access must be one of {ACCESS_LEVELS}")

        def decorate(cls: T) -> T:
            _check_access(self.kind, name, access, cls)
            existing = self._plugins.get(name)
            if existing is not None and existing.cls is not cls:
                raise PluginError(
                    f"{self.kind} name {name!r} is registered twice "
                    f"({existing.cls.__module__} and {cls.__module__})"
                )
            module = cls.__module__
            source = "builtin" if module.startswith("safedl.") else module.split(".")[0]
            info = PluginInfo(name, self.kind, cls, family, access, tuple(norms), paper, source)
            info.config_model  # noqa: B018 - fail at registration, not at first use
            self._plugins[name] = info
            cls.plugin_name = name  # type: ignore[attr-defined]
            return cls

        return decorate

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for ep in entry_points(group=self.group):
            if ep.value.startswith("safedl."):
                ep.load()  # a broken built-in plugin is a bug: let it raise
                continue
            try:
                ep.load()
            except Exception as exc:  # a broken third-party plugin must not break the tool
                self.load_errors[ep.name] = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "could not load %s plugin %r (%s): %s", self.kind, ep.name, ep.value, exc
                )

    def names(self) -> list[str]:
        self._ensure_loaded()
        return sorted(self._plugins)

    def __iter__(self) -> Iterator[PluginInfo]:
        self._ensure_loaded()
        return iter(self._plugins[n] for n in sorted(self._plugins))

    def __contains__(self, name: object) -> bool:
        self._ensure_loaded()
        return name in self._plugins

    def get(self, name: str) -> PluginInfo:
        self._ensure_loaded()
        try:
            return self._plugins[name]
        except KeyError:
            raise PluginError(
                f"unknown {self.kind} {name!r}; {did_you_mean(name, self._plugins)}",
                hint=f"list them with: safedl {self.kind}s list",
            ) from None

    def make_config(self, name: str, params: Mapping[str, Any], where: str = "") -> PluginConfig:
        """Validate ``params`` against the plugin's ``Config``; errors name the key path."""
        model = self.get(name).config_model
        try:
            return model.model_validate(dict(params))
        except ValidationError as exc:
            prefix = f"{where}.params" if where else "params"
            raise ConfigError(format_validation_error(exc, model, prefix=prefix)) from None

    def create(self, name: str, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        """Instantiate a plugin from its name and (validated) params."""
        info = self.get(name)
        config = self.make_config(name, params or {})
        return info.cls(config, **kwargs)


def _check_access(kind: str, name: str, access: str, cls: type) -> None:
    """Refuse an access declaration that the plugin's base class does not grant.

    A base class says which accesses its plugins may declare in ``accepted_access`` (e.g.
    the white-box evasion base accepts ``white-box``, the black-box one ``scores`` and
    ``labels``). Only the bases count, not the plugin class itself; a plugin without such a
    base is not checked.
    """
    owner = next((b for b in cls.__mro__[1:] if "accepted_access" in vars(b)), None)
    if owner is None:
        return
    accepted: tuple[str, ...] = tuple(vars(owner)["accepted_access"])
    if access in accepted:
        return
    family = [b for b in owner.__mro__ if hasattr(b, "accepted_access")]
    wanted = sorted(
        {
            f"{c.__module__}.{c.__qualname__}"
            for base in family
            for c in (base, *base.__subclasses__())
            if access in vars(c).get("accepted_access", ())
        }
    )
    raise PluginError(
        f"{kind} {name!r} declares access {access!r}, but its base class "
        f"{owner.__module__}.{owner.__qualname__} grants only {', '.join(accepted)}",
        hint=(f"derive it from {' or '.join(wanted)}, or " if wanted else "")
        + "declare the access its base class grants",
    )


ATTACKS = Registry("attack", "safedl.attacks")
DEFENSES = Registry("defense", "safedl.defenses")

__all__ = ["ATTACKS", "DEFENSES", "PluginConfig", "PluginInfo", "Registry"]
