"""Evaluation: policies on code/math benchmarks (`recode eval`), the LCB-RB reward-model benchmark
(`recode build-lcbrb`) and the analyses (`recode analyze`).

Modules: benchmarks (what to load, through `data.load_problems`), bigcodebench (which tasks can
run in the sandbox), prompts (prompt + program per task), scoring (`rewards.verify_batch`),
generate (resumable sample store), metrics (unbiased pass@k), tables (paper layout), policy_eval
(the eval loop); judge, adjudication, lcbrb (LCB-RB); analyze (chi-square correlation study,
training dynamics).
"""
