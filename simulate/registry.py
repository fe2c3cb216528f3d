"""Name registries and the spec grammar shared by compressors and algorithms.

A spec string is ``name`` or ``name:key=value,key=value`` (e.g. ``qsgd:s=1``, ``randk:k=5``,
``qsgd:s=2,norm=linf,bucket=8``). Values are parsed as int, then float, then ``true``/``false``,
else kept as strings. Unknown names get a "did you mean" suggestion; unknown keys list the
allowed ones. Every error is a one-line :class:`~boundlab.errors.BoundlabError`.
"""
from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from boundlab.errors import BoundlabError

T = TypeVar("T")


def parse_value(text: str) -> Any:
    """``"3"`` -> 3, ``"0.5"`` -> 0.5, ``"true"`` -> True, anything else stays a string."""
    t = text.strip()
    for conv in (int, float):
        try:
            return conv(t)
        except ValueError:
            pass
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    return t


def parse_spec(spec: str, what: str) -> tuple[str, dict[str, Any]]:
    """Split ``"name:k=v,k=v"`` into ``(name, {k: v})``."""
    if not isinstance(spec, str) or not spec.strip():
        raise BoundlabError(f"{what}: expected a spec string like 'name' or 'name:key=value', got {spec!r}")
    name, _, rest = spec.strip().partition(":")
    params: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, val = item.partition("=")
        if not eq or not key.strip():
            raise BoundlabError(f"{what}: '{item}' in spec {spec!r} is not of the form key=value")
        params[key.strip()] = parse_value(val)
    return name.strip().lower(), params


_PLUGINS_TRIED = [False]


def _load_installed_plugins() -> bool:
    """Load the installed plug-ins (entry points, BOUNDLAB_PLUGINS) once, for Python code that asks a registry for a
    name before any command line did; True if this call loaded them."""
    if _PLUGINS_TRIED[0]:
        return False
    _PLUGINS_TRIED[0] = True
    from boundlab.plugins import load_all
    load_all()
    return True


class Registry(Generic[T]):
    """Name -> class (or factory), with aliases and example specs for the generated tests."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Callable[..., T]] = {}
        self._aliases: dict[str, str] = {}
        self.examples: dict[str, tuple[str, ...]] = {}
        self.version = 0   # bumped at every change, for what is derived from the entries (the config keys)

    def register(self, name: str, *, aliases: tuple[str, ...] = (), examples: tuple[str, ...] = ()
                 ) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Class decorator: ``@REG.register("name", examples=("name:k=1",))``."""
        def deco(factory: Callable[..., T]) -> Callable[..., T]:
            key = name.lower()
            if key in self._entries or key in self._aliases:
                raise ValueError(f"{self.kind} '{key}' is already registered")
            self._entries[key] = factory
            for a in aliases:
                self._aliases[a.lower()] = key
            self.examples[key] = tuple(examples) or (key,)
            self.version += 1
            if hasattr(factory, "name"):
                try:
                    factory.name = key  # type: ignore[attr-defined]
                except (AttributeError, TypeError):
                    pass
            return factory
        return deco

    def unregister(self, name: str) -> None:
        """Remove ``name`` and its aliases (for tests and interactive sessions)."""
        key = self.resolve(name)
        del self._entries[key]
        self.examples.pop(key, None)
        for a in [a for a, k in self._aliases.items() if k == key]:
            del self._aliases[a]
        self.version += 1

    def names(self) -> list[str]:
        return list(self._entries)

    def resolve(self, name: str) -> str:
        key = self._aliases.get(name.lower(), name.lower())
        if key not in self._entries and _load_installed_plugins():   # an installed plug-in may register it
            key = self._aliases.get(name.lower(), name.lower())
        if key not in self._entries:
            choices = self.names() + list(self._aliases)
            close = difflib.get_close_matches(key, choices, n=1, cutoff=0.5)
            hint = f" (did you mean '{self._aliases.get(close[0], close[0])}'?)" if close else ""
            raise BoundlabError(f"unknown {self.kind} '{name}'{hint}; known: {', '.join(self.names())}")
        return key

    def factory(self, name: str) -> Callable[..., T]:
        return self._entries[self.resolve(name)]

    def create(self, name: str, params: dict[str, Any], what: str) -> T:
        """Instantiate ``name`` with ``params``, rejecting unknown keys with the allowed ones."""
        factory = self.factory(name)
        allowed = [p for p in inspect.signature(factory).parameters if p != "self"]
        for k in params:
            if k not in allowed:
                raise BoundlabError(f"{what}: '{k}' is not a parameter of {self.kind} '{self.resolve(name)}' "
                                    f"(parameters: {', '.join(allowed) or 'none'})")
        return factory(**params)

    def __contains__(self, name: str) -> bool:
        if name.lower() not in self._entries and name.lower() not in self._aliases:
            _load_installed_plugins()
        return name.lower() in self._entries or name.lower() in self._aliases
