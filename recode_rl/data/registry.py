"""`load_problems(name_or_path, **opts)`: one entry point for every problem source.

Resolution order for `name_or_path`:
1. a registered name (`humaneval`, `humaneval+`, `mbpp`, `mbpp+`, `livecodebench`, `embedded`,
   `livecodebench-train`, `leetcode-train`, `bigcodebench[-hard|-sample]`, `math500`, `minerva`,
   `aime24`, ... see `available()`), or one added with
   `register_loader(name, fn)`;
2. `hf:<owner/dataset>` -> Hugging Face dataset (options: split, config, revision, limit);
3. an existing local file -> schema detected per record;
4. `package.module:function` -> a user loader imported by dotted path, called with `**opts`.
Anything else -> DataError listing the choices. Options a loader does not take -> DataError.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from recode_rl.data.schema import Problem
from recode_rl.errors import DataError

__all__ = ["register_loader", "load_problems", "available", "Loader"]

Loader = Callable[..., list[Problem]]
_LOADERS: dict[str, Loader] = {}


def register_loader(name: str, fn: Loader, *, overwrite: bool = False) -> None:
    """Make `load_problems(name, **opts)` call `fn(**opts)`."""
    if not overwrite and name in _LOADERS and _LOADERS[name] is not fn:
        raise ValueError(f"a problem loader named {name!r} is already registered")
    _LOADERS[name] = fn


def available() -> list[str]:
    return sorted(_LOADERS)


def _call(label: str, fn: Loader, opts: dict[str, Any]) -> list[Problem]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        sig = None
    if sig is not None and not any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        unknown = sorted(set(opts) - set(sig.parameters))
        if unknown:
            allowed = [n for n, p in sig.parameters.items() if p.kind is p.KEYWORD_ONLY or p.default is not p.empty]
            raise DataError(f"{label}: unknown option(s) {unknown}; this loader takes {allowed}")
    problems = fn(**opts)
    if not isinstance(problems, list) or not all(isinstance(p, Problem) for p in problems):
        raise DataError(f"{label}: the loader must return a list of Problem")
    return problems


def load_problems(name_or_path: str | Path, **opts: Any) -> list[Problem]:
    """Problems from a registered name, `hf:<dataset>`, a local file, or `module:function`."""
    key = str(name_or_path)
    if key in _LOADERS:
        return _call(key, _LOADERS[key], opts)
    if key.startswith("hf:"):
        from recode_rl.data.files import load_hf

        return _call(key, functools.partial(load_hf, key[3:]), opts)
    if Path(key).exists():
        from recode_rl.data.files import load_file

        return load_file(key, **opts)
    module_name, sep, attr = key.partition(":")
    if sep and module_name and attr and "/" not in key:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise DataError(f"problem loader {key!r}: cannot import {module_name!r}: {exc}") from None
        fn = getattr(module, attr, None)
        if not callable(fn):
            raise DataError(f"problem loader {key!r}: {module_name} has no function {attr!r}")
        return _call(key, fn, opts)
    raise DataError(f"unknown problem set {key!r}: not a registered name ({', '.join(available())}), "
                    "an existing file, 'hf:<dataset>', or 'module:function'")


def _register_builtins() -> None:
    from recode_rl.data import bigcodebench, embedded, evalplus, humaneval, livecodebench, math, mbpp, procedural, rllm

    register_loader("humaneval", humaneval.load_humaneval)
    register_loader("mbpp", mbpp.load_mbpp)
    register_loader("livecodebench", livecodebench.load_livecodebench)
    register_loader("embedded", embedded.load_embedded)
    register_loader("listops", procedural.load_listops)

    register_loader("humaneval+", functools.partial(evalplus.load_evalplus, "humaneval+"))
    register_loader("mbpp+", functools.partial(evalplus.load_evalplus, "mbpp+"))
    for name in rllm.RLLM_FILES:
        register_loader(name, functools.partial(rllm.load_rllm_named, name))
    for name in bigcodebench.BIGCODEBENCH_FILES:
        register_loader(name, functools.partial(bigcodebench.load_bigcodebench_named, name))
    for name in math.MATH_FILES:
        register_loader(name, functools.partial(math.load_math_named, name))
    register_loader("dapo-math-17k", math.load_dapo)


_register_builtins()
