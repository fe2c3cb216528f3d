"""Plug-ins: outside code that registers operators, algorithms, problems, results, checks and suites.

A plug-in is a Python module (or a ``.py`` file). Loading it imports it, which runs its registrations
(``@COMPRESSORS.register``, ``@ALGORITHMS.register``, ``@PROBLEMS.register``, ``boundlab.theory.declare``,
``boundlab.verify.register_suite``...); a module that defines a callable ``register()`` has it called
once, after the import. Every sub-command loads the plug-ins before it reads its arguments, so that a
plug-in's operators, algorithms and config keys work on the command line and in TOML files.

Three ways to name plug-ins, loaded in this order (each at most once):

1. **installed packages**: an entry point in the group ``boundlab.plugins`` of the package's
   ``pyproject.toml``::

       [project.entry-points."boundlab.plugins"]
       mymethod = "mymethod.boundlab_plugin"

2. **the environment**: ``BOUNDLAB_PLUGINS="mod1,path/to/mod2.py"`` (commas or ``os.pathsep``);
3. **the command line**: ``boundlab --plugin MODULE_OR_FILE SUB-COMMAND ...`` (repeatable; also
   accepted after the sub-command).

Worker processes (``--jobs``, ``verify``'s and ``sweep``'s pools, a Dask cluster's tasks) load
the same plug-ins (:func:`ensure`). A plug-in that cannot be imported is one line, exit 2.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from boundlab.errors import BoundlabError

GROUP = "boundlab.plugins"
ENV = "BOUNDLAB_PLUGINS"

_LOADED: dict[str, ModuleType | object] = {}   # spec -> module, in load order


def _import(spec: str) -> ModuleType:
    if spec.endswith(".py") or os.sep in spec or "/" in spec:
        path = Path(spec).expanduser().resolve()
        if not path.is_file():
            raise BoundlabError(f"plugin {spec!r}: no such file")
        name = f"boundlab_plugin_{path.stem}"
        if name in sys.modules:
            return sys.modules[name]
        mod_spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(mod_spec)
        sys.modules[name] = module
        try:
            mod_spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        return module
    return importlib.import_module(spec)


def load(spec: str, register: bool = True) -> ModuleType | object:
    """Import one plug-in (a module name or a ``.py`` path) and call its ``register()`` if it has one."""
    spec = spec.strip()
    if spec in _LOADED:
        return _LOADED[spec]
    try:
        module = _import(spec)
    except BoundlabError:
        raise
    except Exception as err:  # noqa: BLE001  (any error of the outside code, reported in one line)
        raise BoundlabError(f"plugin {spec!r} cannot be loaded ({type(err).__name__}: {err})") from None
    _LOADED[spec] = module
    if register and callable(getattr(module, "register", None)):
        try:
            module.register()
        except BoundlabError:
            raise
        except Exception as err:  # noqa: BLE001
            raise BoundlabError(f"plugin {spec!r}: its register() failed ({type(err).__name__}: {err})") from None
    return module


def _entry_points() -> list[str]:
    from importlib.metadata import entry_points
    return [ep.value for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name)]


def _environment() -> list[str]:
    raw = os.environ.get(ENV, "")
    parts = raw.replace(os.pathsep, ",").split(",")
    return [p.strip() for p in parts if p.strip()]


def load_all(extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Load the installed (entry points), environment and ``extra`` plug-ins; return every spec loaded so far."""
    for spec in (*_entry_points(), *_environment(), *extra):
        if ":" in spec and not os.path.exists(spec):   # an entry point "module:function": call the function
            module_name, _, attr = spec.partition(":")
            if spec not in _LOADED:
                module = load(module_name, register=False)
                fn = getattr(module, attr, None)
                if not callable(fn):
                    raise BoundlabError(f"plugin {spec!r}: {module_name} has no function {attr}")
                fn()
                _LOADED[spec] = fn
        else:
            load(spec)
    return loaded()


def loaded() -> list[str]:
    """The plug-ins loaded in this process, in order (what :func:`ensure` replays in a worker process)."""
    return list(_LOADED)


def ensure(specs: list[str] | tuple[str, ...]) -> None:
    """Load ``specs`` in this process if they are not yet (worker processes, Dask tasks)."""
    if any(s not in _LOADED for s in specs):
        load_all(tuple(specs))


def split_argv(argv: list[str]) -> tuple[list[str], list[str]]:
    """``--plugin X`` / ``--plugin=X`` taken out of a command line, wherever they are: (plug-ins, the rest)."""
    specs, rest = [], []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--plugin":
            if i + 1 >= len(argv):
                raise BoundlabError("--plugin needs a module name or a .py file")
            specs.append(argv[i + 1])
            i += 2
            continue
        if a.startswith("--plugin="):
            specs.append(a.split("=", 1)[1])
        else:
            rest.append(a)
        i += 1
    return specs, rest
