"""Typed, validated configuration: YAML file + dotted command-line overrides.

Every stage defines a pydantic model (`extra="forbid"`, so a typo is an error, not a
silently ignored key). `load_config` merges, in order: the model's defaults, a YAML file,
then `a.b.c=value` overrides (values parsed as YAML scalars, so `lr=1e-6`, `flag=true`,
`ids=[1,2]` work; `key+=[x]` appends to a list set by the file or an earlier override).
Errors name the file and the dotted key. The resolved config is dumped into the run directory
by `recode_rl.rundir.RunDir.write_config`.

Command-line flags are shorthands for dotted overrides: each command declares
`FLAGS = {"max_steps": "train.max_steps", ...}` (argparse dest -> dotted key) and
`config_from_args` appends the given flags after the user's KEY=VALUE overrides (flags win),
then validates once; errors name the flag a bad value came from.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import json
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["ConfigError", "StageConfig", "Flags", "shipped_config", "load_config", "validate_config", "apply_overrides", "dump_config",
           "flag_overrides", "split_positionals", "config_from_args"]


class ConfigError(ValueError):
    """A configuration problem, with the offending file and dotted key in the message."""


class StageConfig(BaseModel):
    """Base class for every stage's config: unknown keys are errors, assignment is validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, protected_namespaces=())


C = TypeVar("C", bound=BaseModel)


def shipped_config(relative: str) -> Path | None:
    """A config shipped in the source checkout's `configs/` folder (e.g. `synth/default.yaml`), if present."""
    path = Path(__file__).resolve().parents[1] / "configs" / relative
    return path if path.is_file() else None


def _set_dotted(tree: dict[str, Any], dotted: str, value: Any, append: bool = False,
                defaults: Mapping[str, Any] | None = None) -> None:
    """Set `a.b.c` in `tree`; a numeric key indexes a list (`benchmarks.0.limit`). A list the file
    does not set is first copied from `defaults` (the config class's), so its items can be indexed."""
    keys = dotted.split(".")
    node: Any = tree
    default: Any = defaults or {}
    for i, key in enumerate(keys[:-1]):
        if isinstance(node, list):
            node, default = _list_item(node, key, dotted), None
            continue
        child = node.get(key)
        default = default.get(key) if isinstance(default, Mapping) else None
        if child is None:
            wants_list = keys[i + 1].isdigit()
            if wants_list and isinstance(default, list):
                child = node[key] = copy.deepcopy(default)
            elif wants_list:
                raise ConfigError(f"override {dotted!r}: {key!r} is not a list here (set the list in the config first)")
            else:
                child = node[key] = {}
        elif not isinstance(child, (dict, list)):
            raise ConfigError(f"override {dotted!r}: {key!r} is a value, not a section")
        node = child
    last = keys[-1]
    if isinstance(node, list):
        _list_item(node, last, dotted)
        node[int(last)] = value
        return
    if append:
        # `key+=v` extends what the file or an earlier override set; the model default is not seen here
        old = node.get(last)
        if old is not None and not isinstance(old, list):
            raise ConfigError(f"override {dotted}+=: {dotted!r} is not a list")
        value = [*(old or []), *(value if isinstance(value, list) else [value])]
    node[last] = value


def _list_item(items: list[Any], key: str, dotted: str) -> Any:
    if not key.isdigit():
        raise ConfigError(f"override {dotted!r}: {key!r} indexes a list; use a number")
    if int(key) >= len(items):
        raise ConfigError(f"override {dotted!r}: index {key} is out of range (the list has {len(items)} items)")
    return items[int(key)]


def _defaults(cls: type[BaseModel]) -> dict[str, Any]:
    """The class's default tree, when every field has a default (else {}: nothing to index)."""
    try:
        return cls().model_dump(mode="json")
    except ValidationError:
        return {}


def apply_overrides(tree: dict[str, Any], overrides: list[str],
                    defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Apply `key.sub=value` strings to a nested dict (in place) and return it."""
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip().lstrip("-")
        append = key.endswith("+")
        key = key.removesuffix("+").strip()
        if not sep or not key:
            raise ConfigError(f"override {item!r}: expected KEY=VALUE, e.g. limits.timeout=5")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError as exc:
            raise ConfigError(f"override {item!r}: value is not valid YAML: {exc}") from None
        _set_dotted(tree, key, value, append, defaults)
    return tree


def _model_at(cls: type[BaseModel] | None, loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The config class that holds the field at `loc` (through nested models, lists and Optionals)."""
    for part in loc:
        if cls is None:
            return None
        if isinstance(part, int):
            continue
        field = cls.model_fields.get(part)
        if field is None:
            return None
        cls = _model_in(field.annotation)
    return cls


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _did_you_mean(cls: type[BaseModel] | None, loc: tuple[Any, ...]) -> str:
    parent = _model_at(cls, tuple(loc[:-1])) if cls is not None else None
    if parent is None or not loc:
        return ""
    close = difflib.get_close_matches(str(loc[-1]), list(parent.model_fields), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _format_validation_error(exc: ValidationError, source: str, origins: Mapping[str, str] | None = None,
                             cls: type[BaseModel] | None = None) -> str:
    lines = [f"invalid configuration ({source}):"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "<root>"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key" + _did_you_mean(cls, err["loc"])
        # list items and nested values of a flag's key still come from that flag
        flag = next((f for k, f in (origins or {}).items() if key == k or key.startswith(k + ".")), None)
        where = f"{key} (from {flag})" if flag else key
        lines.append(f"  {where}: {msg} (got {err.get('input')!r})")
    return "\n".join(lines)


def load_config(cls: type[C], path: str | Path | None = None, overrides: list[str] | None = None,
                origins: Mapping[str, str] | None = None) -> C:
    """Build `cls` from defaults, an optional YAML file and dotted overrides; validate.

    `origins` maps a dotted key to the command-line flag that set it, for error messages.
    """
    tree: dict[str, Any] = {}
    source = "defaults"
    if path is not None:
        path = Path(path)
        source = str(path)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: top level must be a mapping of keys, got {type(loaded).__name__}")
        tree = loaded
    if overrides:
        apply_overrides(tree, list(overrides), _defaults(cls))
        source += " + command-line overrides"
    if origins:
        source += " + flags " + ", ".join(dict.fromkeys(origins.values()))
    try:
        return cls.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, source, origins, cls)) from None


# argparse dest -> a dotted key (`key+` appends to a list), or a function of the flag's value
# returning {dotted key: value} (for flags that set a constant or several keys).
Flags = Mapping[str, str | Callable[[Any], dict[str, Any]]]


def flag_overrides(args: argparse.Namespace, flags: Flags) -> tuple[list[str], dict[str, str]]:
    """The given flags as dotted overrides, and {dotted key: flag name} for error messages.

    A flag counts as given unless its value is None, False or empty (argparse's "absent").
    `args._flag_names` (set by `recode_rl.cli`) maps a dest to the flag as typed, e.g. `--max-steps`.
    """
    names: dict[str, str] = getattr(args, "_flag_names", {})
    overrides: list[str] = []
    origins: dict[str, str] = {}
    for dest, target in flags.items():
        value = getattr(args, dest, None)
        if value is None or value is False or value == []:
            continue
        pairs = target(value) if callable(target) else {target: value}
        for key, v in pairs.items():
            # JSON is valid YAML, so a string flag stays a string (`--model 1e-3` is not a float)
            overrides.append(f"{key}={json.dumps(v)}")
            origins[key.removesuffix("+")] = names.get(dest, "--" + dest.replace("_", "-"))
    return overrides, origins


def split_positionals(args: argparse.Namespace, words: Sequence[str] = ()) -> list[str]:
    """Commands with positional words (run dirs, experiment ids, `fetch NAME`) share argparse's
    positional slots with KEY=VALUE overrides: keep the overrides in `args.overrides` and return
    the other words, in order (`words` first)."""
    positional = [*words, *(getattr(args, "overrides", None) or [])]
    args.overrides = [a for a in positional if "=" in a]
    return [a for a in positional if "=" not in a]


def config_from_args(cls: type[C], args: argparse.Namespace, flags: Flags | None = None) -> C:
    """`--config FILE`, then the KEY=VALUE overrides, then the declared flags (flags win); validated once."""
    extra, origins = flag_overrides(args, flags or {})
    overrides = [*(getattr(args, "overrides", None) or []), *extra]
    return load_config(cls, getattr(args, "config", None), overrides, origins)


def dump_config(cfg: BaseModel) -> str:
    """YAML text of the fully resolved config (defaults included)."""
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)


def validate_config(cls: type[C], tree: Any, source: str) -> C:
    """Validate an in-memory tree (e.g. a JSON/dict config passed by another framework) as `cls`;
    ConfigError names `source` and each dotted key, like `load_config`."""
    try:
        return cls.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, source, cls=cls)) from None
