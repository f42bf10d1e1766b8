"""Model cards: the README.md of every checkpoint folder train-rl, train-sft and train-rm save.

A card names what the weights are: the stage that trained them, the base model, the run's
config (the `config.<stage>.yaml` beside it, and the resolved YAML inline) and the data. The
front matter is the Hugging Face hub's model-card metadata (`base_model`, `library_name`,
`tags`, `pipeline_tag`), so a folder pushed with `train.push_to_hub` is described on the hub too;
`base_model` is written there only when it is a hub id (an embedded model maps to its hub
original, a local folder is named in the text only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["write_model_card", "hub_base_model"]

# the embedded offline models' originals on the hub
_EMBEDDED_HUB = {"embedded:smollm2": "HuggingFaceTB/SmolLM2-135M-Instruct",
                 "embedded:minilm": "sentence-transformers/all-MiniLM-L6-v2"}

_WHAT = {"train-rl": ("policy trained with CG-GRPO (execution-gated reasoning-process reward)", "text-generation"),
         "train-sft": ("policy fine-tuned on verified think/answer targets (SFT baseline)", "text-generation"),
         "train-rm": ("reasoning reward model (one scalar per problem + reasoning)", "text-classification")}


def hub_base_model(name: str) -> str | None:
    """The hub id of a base model name, or None for a local folder."""
    if name in _EMBEDDED_HUB:
        return _EMBEDDED_HUB[name]
    if Path(name).expanduser().exists() or name.count("/") != 1 or name.startswith((".", "/", "~")):
        return None
    return name


def write_model_card(folder: str | Path, *, stage: str, base_model: str, config: Any,
                     data: dict[str, Any], notes: list[str] = ()) -> Path:
    """Write `<folder>/README.md` for a checkpoint trained by `stage` from `base_model` with `config`."""
    from recode_rl import __version__
    from recode_rl.config import dump_config

    folder = Path(folder)
    what, pipeline = _WHAT.get(stage, (f"model trained by recode {stage}", None))
    meta: dict[str, Any] = {"library_name": "transformers", "tags": ["recode-rl", stage]}
    hub = hub_base_model(base_model)
    if hub:
        meta["base_model"] = hub
    if pipeline:
        meta["pipeline_tag"] = pipeline
    run_root = next((p for p in folder.parents if (p / f"config.{stage}.yaml").is_file()), None)
    lines = ["---", yaml.safe_dump(meta, sort_keys=False).strip(), "---", "",
             f"# {folder.name}: {what}", "",
             f"- **Stage:** `recode {stage}` (recode-rl {__version__})",
             f"- **Base model:** `{base_model}`" + (f" ({hub})" if hub and hub != base_model else ""),
             f"- **Config:** `{run_root / f'config.{stage}.yaml'}`" if run_root else "- **Config:** inline below",
             "- **Data:**"]
    lines += [f"  - {key}: `{value}`" for key, value in data.items() if value not in (None, [], {})]
    lines += [f"- {note}" for note in notes]
    lines += ["", "## Resolved config", "", "```yaml", dump_config(config).rstrip(), "```", ""]
    path = folder / "README.md"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
