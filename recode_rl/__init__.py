"""recode-rl: ReCode — execution-gated reasoning-process rewards for RL on code LLMs.

Package layout (one sub-package per pipeline stage, each with a thin CLI command):

    data/          problems + tests: one representation, loaders for every benchmark schema
    execution/     sandboxed executor for untrusted model-written code (`recode check`)
    rewards/       response parsing, the ReCode reward family, process scorers, TRL/veRL adapters
    synthesis/     CRPL contrastive reasoning synthesis (`recode synth`)
    reward_model/  Bradley-Terry reward-model training and evaluation (`recode train-rm`, `eval-rm`)
    rl/            CG-GRPO training and baselines (`recode train-rl`, `train-sft`)
    evaluation/    policy evaluation, LCB-RB construction, analyses (`recode eval`, ...)

Importing this package is cheap: nothing here imports torch.
"""

__version__ = "0.1.0"
