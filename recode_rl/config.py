"""Typed, validated configuration: YAML file + dotted command-line overrides.

Every stage defines a pydantic model (`extra="forbid"`, so a typo is an error, not a
silently ignored key). `load_config` merges, in order: the model's defaults, a YAML file,
then `a.b.c=value` overrides (values parsed as YAML scalars, so `lr=1e-6`, `flag=true`,
`ids=[1,2]` work). Errors name the file and the dotted key. The resolved config is dumped
into the run directory by `recode_rl.rundir.RunDir.write_config`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["ConfigError", "StageConfig", "load_config", "validate_config", "apply_overrides", "dump_config"]


class ConfigError(ValueError):
    """A configuration problem, with the offending file and dotted key in the message."""


class StageConfig(BaseModel):
    """Base class for every stage's config: unknown keys are errors, assignment is validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, protected_namespaces=())


C = TypeVar("C", bound=BaseModel)


def _set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    node = tree
    for key in keys[:-1]:
        child = node.get(key)
        if child is None:
            child = node[key] = {}
        elif not isinstance(child, dict):
            raise ConfigError(f"override {dotted!r}: {key!r} is a value, not a section")
        node = child
    node[keys[-1]] = value


def apply_overrides(tree: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `key.sub=value` strings to a nested dict (in place) and return it."""
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip().lstrip("-")
        if not sep or not key:
            raise ConfigError(f"override {item!r}: expected KEY=VALUE, e.g. limits.timeout=5")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError as exc:
            raise ConfigError(f"override {item!r}: value is not valid YAML: {exc}") from None
        _set_dotted(tree, key, value)
    return tree


def _format_validation_error(exc: ValidationError, source: str) -> str:
    lines = [f"invalid configuration ({source}):"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "<root>"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"  {key}: {msg} (got {err.get('input')!r})")
    return "\n".join(lines)


def load_config(cls: type[C], path: str | Path | None = None, overrides: list[str] | None = None) -> C:
    """Build `cls` from defaults, an optional YAML file and dotted overrides; validate."""
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
        apply_overrides(tree, list(overrides))
        source += " + command-line overrides"
    try:
        return cls.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, source)) from None


def dump_config(cfg: BaseModel) -> str:
    """YAML text of the fully resolved config (defaults included)."""
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)


def validate_config(cls: type[C], tree: Any, source: str) -> C:
    """Validate an in-memory tree (e.g. a JSON/dict config passed by another framework) as `cls`;
    ConfigError names `source` and each dotted key, like `load_config`."""
    try:
        return cls.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, source)) from None
