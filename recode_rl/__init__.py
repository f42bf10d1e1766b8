"""recode-rl: ReCode — execution-gated reasoning-process rewards for RL on code LLMs.

Package layout (one sub-package per pipeline stage, each with a thin CLI command):

    data/          problems + tests: one representation, loaders for every benchmark schema
    execution/     sandboxed executor for untrusted model-written code (`recode check`)
    rewards/       response parsing, the ReCode reward family, process scorers, TRL/veRL adapters
    synthesis/     CRPL contrastive reasoning synthesis (`recode synth`)
    reward_model/  Bradley-Terry reward-model training and evaluation (`recode train-rm`, `eval-rm`)
    rl/            CG-GRPO training and baselines (`recode train-rl`, `train-sft`)
    evaluation/    policy evaluation, LCB-RB construction, analyses (`recode eval`, ...)

Python API (docs/api.md): `recode_rl.train`, `recode_rl.evaluate`, `recode_rl.score` (and `load`
for a resolved config) from `recode_rl.api`, imported on first use.

Importing this package is cheap: nothing here imports torch.
"""

from typing import Any

__version__ = "0.1.0"

_API = ("train", "evaluate", "score", "load")


def __getattr__(name: str) -> Any:
    # lazy: `import recode_rl` stays instant; the API module loads on first use
    if name in _API:
        from recode_rl import api

        return getattr(api, name)
    raise AttributeError(f"module 'recode_rl' has no attribute {name!r}")
