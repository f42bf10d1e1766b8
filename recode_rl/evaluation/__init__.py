"""Evaluation: policies on code/math benchmarks (`recode eval`), the LCB-RB reward-model benchmark
(`recode build-lcbrb`) and the analyses (`recode analyze`).

Modules: config (the three commands' typed configs), benchmarks (what to load, through
`data.load_problems`), bigcodebench (which tasks can run in the sandbox), scoring
(`rewards.verify_batch`), responses (program per response), generate (resumable sample store),
metrics (unbiased pass@k), tables (paper layout), policy_eval (the eval loop); judge, adjudication,
lcbrb (LCB-RB, `build_lcbrb`); analyze (chi-square correlation study, training dynamics, `analyze`).
cli, lcbrb_cli, analyze_cli are the thin command shells; prompts live in `recode_rl.prompts`.
"""
