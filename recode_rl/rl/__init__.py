"""CG-GRPO training (`recode train-rl`) and the SFT baseline (`recode train-sft`) on TRL.

config.py  typed config of train-rl and its mapping to trl.GRPOConfig (`grpo_kwargs`)
data.py    training problems -> conversational rows (code and math prompts), held-out splits
train.py   the GRPO run: reward callable, trainer, checkpoints, resume
sft.py     the SFT baseline: verified targets in the think/answer format, SFTTrainer
callbacks  metrics.jsonl, hacking monitor, step timing, simulated interruption
cli.py / sft_cli.py   the two commands
"""
