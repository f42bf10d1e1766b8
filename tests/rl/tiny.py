"""A tiny chat policy for tier-2 RL/SFT tests, built in-process and saved as an HF folder (no hub).

The tokenizer is character-level (pass it in memory: `AutoTokenizer` maps a qwen2 folder to
`Qwen2Tokenizer`, which would not reproduce it) (every printable character is a token) with a one-line chat
template; the policy is a 2-layer Qwen2 overfit for a few hundred Adam steps so that, after the
rendered policy prompt of `ADD`, it writes one of `TARGETS` (about a third each: the first think
character decides): a correct answer with a short think text, a correct one with a longer think
text, and a wrong one. GRPO groups therefore have reward variance (outcome and, with
`ThinkLength`, process score) and real gradients.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

from recode_rl.data.schema import Problem
from recode_rl.execution.types import TestSuite
from recode_rl.prompts import policy_messages

ADD = Problem(task_id="add", prompt="Print the sum of two integers.",
              tests=TestSuite(kind="stdio", inputs=("1 2\n", "5 7\n"), outputs=("3\n", "12\n")),
              reference_solution="print(sum(map(int, input().split())))\n")
GOOD = "<think>sum</think><answer>\n```python\nprint(sum(map(int,input().split())))\n```\n</answer>"
GOOD_LONG = "<think>add both</think><answer>\n```python\nprint(sum(map(int,input().split())))\n```\n</answer>"
WRONG = "<think>max</think><answer>\n```python\nprint(max(map(int,input().split())))\n```\n</answer>"
TARGETS = (GOOD, GOOD_LONG, WRONG)


def chat_tokenizer():
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[EOS]"]
    vocab = {t: i for i, t in enumerate(specials + sorted(set(string.printable)))}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("[\\s\\S]"), behavior="isolated")
    tok.decoder = decoders.Fuse()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", eos_token="[EOS]")
    fast.chat_template = ("{% for m in messages %}{{ m['role'][0] }}:{{ m['content'] }}\n{% endfor %}"
                          "{% if add_generation_prompt %}a:{% endif %}")
    fast.padding_side = "left"
    return fast


def write_problems(path: Path, problems: list[Problem]) -> Path:
    path.write_text("".join(json.dumps(p.to_dict()) + "\n" for p in problems))
    return path


def tiny_policy_folder(folder: Path, targets: tuple[str, ...] = TARGETS, problem: Problem = ADD,
                       steps: int = 200) -> Path:
    """Save a tiny Qwen2 fit on `prompt(problem) -> one of targets` plus its tokenizer to `folder`."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    tok = chat_tokenizer()
    prompt_text = tok.apply_chat_template(policy_messages(problem), tokenize=False, add_generation_prompt=True)
    cfg = Qwen2Config(vocab_size=len(tok), hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                      pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, bos_token_id=None,
                      tie_word_embeddings=True)
    model = Qwen2ForCausalLM(cfg)
    p_ids = tok(prompt_text, add_special_tokens=False)["input_ids"]
    rows = [tok(t, add_special_tokens=False)["input_ids"] + [tok.eos_token_id] for t in targets]
    width = max(len(r) for r in rows)
    ids = torch.tensor([p_ids + r + [tok.pad_token_id] * (width - len(r)) for r in rows])
    labels = torch.tensor([[-100] * len(p_ids) + r + [-100] * (width - len(r)) for r in rows])
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    loss = None
    fitted = False
    # Fit until every target token after the branching one is predicted (teacher-forced argmax): the
    # mean loss alone hides a second branch point (e.g. the code after the think text) that the
    # model gets wrong, and then sampled "sum" reasoning comes with "max" code.
    for step in range(steps if steps == 0 else 4 * steps):
        out = model(input_ids=ids, labels=labels)
        loss = out.loss
        if step >= steps and step % 25 == 0:
            pred = out.logits[:, :-1].argmax(-1)
            gold, mask = ids[:, 1:], labels[:, 1:] != -100
            # the targets share a prefix ("<think>"); the first token where they differ is the
            # branching one, where any of them is right: skip it (shifted by one, as pred/gold are)
            branch = next(i for i in range(width) if len({r[i] if i < len(r) else -1 for r in rows}) > 1)
            mask[:, len(p_ids) + branch - 1] = False
            if bool(((pred == gold) | ~mask).all()):
                fitted = True
                break
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert steps == 0 or fitted, f"tiny policy did not fit the targets (loss {loss.item() if loss is not None else None})"
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


class ThinkLength:
    """A deterministic process scorer for tests: len(think) / 10, capped at 1 (`tests.rl.tiny:ThinkLength`)."""

    name = "think-length"
    enabled = True

    def score(self, problems: list[str], reasonings: list[str]) -> list[float]:
        return [min(len(r) / 10, 1.0) for r in reasonings]
