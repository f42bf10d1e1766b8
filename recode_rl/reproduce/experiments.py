"""Every experiment of the paper with results, as data: stages per scale, experiments, the paper's numbers.

Numbers are copied from the final paper's text (Tables 1-8; Figures 3 and 4 print no numbers, so
`paper` holds their stated findings). Configs are referred to by path and changed by dotted
overrides, so when a shipped config changes (e.g. the DeepCoder training splits of
configs/train-rl/paper*.yaml) the experiments follow without a change here. Stage names are
shared by both scales; see registry.py. Our choices where the paper is silent are marked "ours:".
"""

from __future__ import annotations

from recode_rl.reproduce.registry import Experiment, Metric, Ratio, StageSpec

__all__ = ["VARS", "PAPER_STAGES", "CPU_STAGES", "EXPERIMENTS", "QWEN3"]

# user-settable placeholders (`recode reproduce ID --var rewardbench=FILE`)
VARS: dict[str, str] = {
    # RewardBench `filtered` split (hep-*, math-prm); `data:` = the data layout (`recode data fetch rewardbench`)
    "rewardbench": "data:rewardbench/filtered-00000-of-00001.parquet",
    "other_rm_url": "http://rm-host:8001/classify",      # Skywork-Reward-Llama-3.1-8B served for RL (Figure 3c)
    # where the chain serves a CRPL reward model to the gated RL runs (docs/training.md: GPU 7, port 8001)
    "scorer_gpu": "7",
    "scorer_port": "8001",
    # how paper-scale training stages start (one node, 8 GPUs, as the paper*.yaml headers say)
    "launch": "accelerate launch --config_file {configs}/accelerate/zero3.yaml -m recode_rl.cli",
}
# ours: the paper says "Qwen3-4B-Instruct"; the instruct release of Qwen3-4B on the hub is this one
QWEN3 = "Qwen/Qwen3-4B-Instruct-2507"

_RM = "{run}/{rm}/checkpoints/reward_model"
_CUDA = "device=cuda"


def _s(name: str, *argv: str, after: tuple[str, ...] = (), launched: bool = False,
       serves: str | None = None) -> tuple[str, StageSpec]:
    return name, StageSpec(name, tuple(argv), after, launched, serves)


def _rm_path(stage: str) -> str:
    return _RM.replace("{rm}", stage)


# ---- paper scale ------------------------------------------------------------------------------

def _train_rm(name: str, config: str, synth: str, stem: str, *extra: str) -> tuple[str, StageSpec]:
    return _s(name, "train-rm", "--config", f"{{configs}}/train-rm/{config}", "--run-dir", f"{{run}}/{name}",
              f"data.train={{run}}/{synth}/data/{stem}.train.jsonl",
              f"data.validation={{run}}/{synth}/data/{stem}.validation.jsonl", *extra, after=(synth,),
              launched=True)


def _paper_rm_stages() -> dict[str, StageSpec]:
    out = dict([
        _train_rm("rm-crpl-7b", "paper.yaml", "synth", "pairs"),
        _train_rm("rm-crpl-3b", "paper.yaml", "synth", "pairs", "model.backbone=Qwen/Qwen2.5-Coder-3B"),
        _train_rm("rm-score-7b", "paper-score-based.yaml", "synth", "scores"),
        _train_rm("rm-score-3b", "paper-score-based.yaml", "synth", "scores", "model.backbone=Qwen/Qwen2.5-Coder-3B"),
        _train_rm("rm-cross-7b", "paper.yaml", "synth-cross", "pairs"),
        _train_rm("rm-cross-3b", "paper.yaml", "synth-cross", "pairs", "model.backbone=Qwen/Qwen2.5-Coder-3B"),
    ])
    for size in ("7b", "3b"):
        backbone = () if size == "7b" else ("model.backbone=Qwen/Qwen2.5-Coder-3B",)
        for tag, ptype in (("optdeg", "opt>deg"), ("optori", "opt>ori"), ("orideg", "ori>deg")):
            out.update([_train_rm(f"rm-{tag}-{size}", "paper.yaml", "synth", "pairs", f"data.pair_types=[{ptype}]",
                                  *backbone)])
    return out


# scorers evaluated on LCB-RB / RewardBench: name -> (eval-rm arguments, stage it reads, on RewardBench?)
_JUDGE = ("--config", "{configs}/eval-rm/judge.yaml", "judge.backend=openai", "judge.base_url=https://api.openai.com/v1",
          "judge.api_key_env=OPENAI_API_KEY")
_PAPER_SCORERS: dict[str, tuple[tuple[str, ...], tuple[str, ...], bool]] = {
    **{f"{kind}-{size}": (("--model", _rm_path(f"rm-{kind}-{size}")), (f"rm-{kind}-{size}",), True)
       for kind in ("crpl", "score", "cross", "optdeg", "optori", "orideg") for size in ("7b", "3b")},
    "base-7b": (("--model", "Qwen/Qwen2.5-Coder-7B"), (), True),     # the untrained backbone (a fresh scalar head)
    "base-3b": (("--model", "Qwen/Qwen2.5-Coder-3B"), (), True),
    "starling-rm-34b": (("--model", "Nexusflow/Starling-RM-34B"), (), True),
    "eurus-rm-7b": (("--model", "openbmb/Eurus-RM-7b"), (), True),
    # the paper leaves Skywork out of RewardBench (possible contamination)
    "skywork-8b": (("--model", "Skywork/Skywork-Reward-Llama-3.1-8B"), (), False),
    "gpt-4-turbo": ((*_JUDGE, "judge.model=gpt-4-turbo-2024-04-09"), (), True),
    "gpt-3.5-turbo": ((*_JUDGE, "judge.model=gpt-3.5-turbo-0125"), (), True),
    "deepseek-v3": (("--config", "{configs}/eval-rm/judge.yaml", "judge.backend=openai",
                     "judge.base_url=https://api.deepseek.com/v1", "judge.api_key_env=DEEPSEEK_API_KEY",
                     "judge.model=deepseek-chat"), (), True),
}


def _eval_rm_stages(scorers: dict[str, tuple[tuple[str, ...], tuple[str, ...], bool]]) -> dict[str, StageSpec]:
    out: dict[str, StageSpec] = {}
    for name, (args, after, on_rewardbench) in scorers.items():
        judge = "--config" in args
        lcb_cfg = () if judge else ("--config", "{configs}/eval-rm/lcb-rb.yaml", _CUDA)
        rb_cfg = ("subsets=[hep-cpp,hep-go,hep-java,hep-js,hep-python,hep-rust,math-prm]",) if judge else \
            ("--config", "{configs}/eval-rm/rewardbench.yaml", _CUDA)
        out.update([_s(f"lcbrb-{name}", "eval-rm", *lcb_cfg, *args, "--data", "{run}/lcbrb/data/lcbrb_pairs.jsonl",
                       "--run-dir", f"{{run}}/lcbrb-{name}", after=(*after, "lcbrb"))])
        if on_rewardbench:
            out.update([_s(f"rewardbench-{name}", "eval-rm", *rb_cfg, *args, "--data", "{rewardbench}",
                           "--run-dir", f"{{run}}/rewardbench-{name}", after=after)])
    return out


def _rl(name: str, config: str, *extra: str, rm: str | None = "rm-crpl-7b") -> tuple[str, StageSpec]:
    # the RM is served once for the 8 ranks (`recode serve-scorer`, started by the chain for this stage)
    scorer = ("--scorer-url", "http://localhost:{scorer_port}/score") if rm else ()
    return _s(name, "train-rl", "--config", f"{{configs}}/train-rl/{config}", "--run-dir", f"{{run}}/{name}",
              *scorer, *extra, after=(rm,) if rm else (), launched=True, serves=rm)


def _eval(name: str, config: str, model: str, label: str, after: str | None) -> tuple[str, StageSpec]:
    return _s(name, "eval", "--config", f"{{configs}}/eval/{config}", "--run-dir", f"{{run}}/{name}",
              f"generator.model={model}", f"model_name={label}", after=(after,) if after else ())


def _final(stage: str) -> str:
    return f"{{run}}/{stage}/checkpoints/final"


def _dynamics(stage: str, labels: tuple[str, ...]) -> dict[str, Metric]:
    """Per run of an `_analyze_runs` stage (in its order): last training pass rate and process reward."""
    return {f"{label}: {what} (last step)": Metric(stage, "report/analysis.json", f"dynamics.{i}.{key}")
            for i, label in enumerate(labels)
            for what, key in (("pass rate", "pass_rate_last"), ("process reward", "process_last"))}


def _analyze_runs(name: str, runs: dict[str, str], pass_key: str | None = None,
                  after: tuple[str, ...] = ()) -> tuple[str, StageSpec]:
    """Training dynamics of `runs`; `pass_key` picks the held-out curve (eval/<benchmark>/pass@1)."""
    dirs = ",".join(f"{{run}}/{r}" for r in runs)
    key = (f"pass_key={pass_key}",) if pass_key else ()
    return _s(name, "analyze", "--run-dir", f"{{run}}/{name}", f"runs=[{dirs}]", f"labels=[{','.join(runs.values())}]",
              *key, after=(*runs, *after))


def _curve(rl_stage: str, config: str, *overrides: str) -> tuple[str, StageSpec]:
    """Held-out pass@1 of the snapshots an RL run kept (`eval.every`), into its metrics (Figures 3a-3c)."""
    return _s(f"curve-{rl_stage}", "eval", "--config", f"{{configs}}/eval/{config}", "--run-dir",
              f"{{run}}/curve-{rl_stage}", f"snapshots_of={{run}}/{rl_stage}", *overrides, after=(rl_stage,))


_CODER7 = "Qwen/Qwen2.5-Coder-7B-Instruct"
_MATH7 = "Qwen/Qwen2.5-Math-7B"

PAPER_STAGES: dict[str, StageSpec] = dict([
    # CRPL data: Qwen2.5-Coder-32B-Instruct behind an OpenAI-compatible server; score_based adds the
    # generator's 0-1 scores for the score-based baseline in the same run
    _s("synth", "synth", "--config", "{configs}/synth/paper.yaml", "--run-dir", "{run}/synth", "score_based=true"),
    _s("synth-cross", "synth", "--config", "{configs}/synth/cross_generator.yaml", "--run-dir", "{run}/synth-cross"),
    _s("lcbrb", "build-lcbrb", "--config", "{configs}/build-lcbrb/paper.yaml", "--run-dir", "{run}/lcbrb"),
    _s("correlation", "build-lcbrb", "--config", "{configs}/build-lcbrb/paper-correlation.yaml",
       "--run-dir", "{run}/correlation"),
    *_paper_rm_stages().items(),
    *_eval_rm_stages(_PAPER_SCORERS).items(),
    # policies (Table 1; Figure 3a; Table 8)
    _s("sft", "train-sft", "--config", "{configs}/train-sft/paper.yaml", "--run-dir", "{run}/sft", launched=True),
    _rl("rl-grpo", "paper-outcome.yaml", rm=None),
    _rl("rl-recode", "paper.yaml"),
    # Figure 3c/3d: the paper follows the first 500 steps
    _rl("rl-direct", "paper-direct.yaml", "--max-steps", "500"),
    _rl("rl-soft", "paper-soft.yaml", "--max-steps", "500"),
    _rl("rl-other-rm", "paper-other-rm.yaml", "--scorer-url", "{other_rm_url}", "--max-steps", "500", rm=None),
    # Table 5: three 400-step runs
    _rl("rl-compiler-400", "paper-compiler.yaml", "--max-steps", "400", rm=None),
    _rl("rl-recode-400", "paper.yaml", "--max-steps", "400"),
    _rl("rl-compiler-recode-400", "paper-compiler-recode.yaml", "--max-steps", "400"),
    # Table 4: Qwen3-4B-Instruct, same setup, 400 steps, the RQ1 reward model
    _rl("rl-qwen3-grpo", "paper-outcome.yaml", "--model", QWEN3, "--max-steps", "400", rm=None),
    _rl("rl-qwen3-recode", "paper.yaml", "--model", QWEN3, "--max-steps", "400"),
    # Table 3: Qwen2.5-Math-7B on DAPO-Math-17k, 900 steps; +GRPO is the outcome-only math reward
    _rl("rl-math-grpo", "paper-math-grpo.yaml", rm=None),
    _rl("rl-math-recode", "paper-math.yaml"),
    # evaluation: the full suite (Table 1), LiveCodeBench (Tables 4, 5), math (Table 3)
    _eval("eval-base", "paper.yaml", _CODER7, "Qwen2.5-Coder-7B-Instruct", None),
    _eval("eval-sft", "paper.yaml", _final("sft"), "+SFT", "sft"),
    _eval("eval-grpo", "paper.yaml", _final("rl-grpo"), "+GRPO", "rl-grpo"),
    _eval("eval-recode", "paper.yaml", _final("rl-recode"), "+ReCode", "rl-recode"),
    _eval("eval-compiler-400", "livecodebench.yaml", _final("rl-compiler-400"), "+GRPO (Compiler-based)",
          "rl-compiler-400"),
    _eval("eval-recode-400", "livecodebench.yaml", _final("rl-recode-400"), "+ReCode (400 steps)", "rl-recode-400"),
    _eval("eval-compiler-recode-400", "livecodebench.yaml", _final("rl-compiler-recode-400"),
          "+ReCode +Compiler-based", "rl-compiler-recode-400"),
    _eval("eval-qwen3-base", "livecodebench.yaml", QWEN3, "Qwen3-4B-Instruct", None),
    _eval("eval-qwen3-grpo", "livecodebench.yaml", _final("rl-qwen3-grpo"), "Qwen3-4B +GRPO", "rl-qwen3-grpo"),
    _eval("eval-qwen3-recode", "livecodebench.yaml", _final("rl-qwen3-recode"), "Qwen3-4B +ReCode", "rl-qwen3-recode"),
    _eval("eval-math-base", "math.yaml", _MATH7, "Qwen2.5-Math-7B", None),
    _eval("eval-math-grpo", "math.yaml", _final("rl-math-grpo"), "Qwen2.5-Math-7B +GRPO", "rl-math-grpo"),
    _eval("eval-math-recode", "math.yaml", _final("rl-math-recode"), "Qwen2.5-Math-7B +ReCode", "rl-math-recode"),
    # analyses
    _s("table7", "analyze", "--run-dir", "{run}/table7", "judged=[{run}/correlation]", after=("correlation",)),
    # Figures 3a-3c: each RL run keeps a snapshot every eval.every steps (paper configs); evaluate them
    *(_curve(rl, "livecodebench.yaml") for rl in ("rl-recode", "rl-grpo", "rl-direct", "rl-soft", "rl-other-rm")),
    *(_curve(rl, "math.yaml", "benchmarks=[aime24]") for rl in ("rl-math-recode", "rl-math-grpo")),
    _analyze_runs("curves-lcb", {"rl-recode": "ReCode", "rl-grpo": "GRPO"}, "eval/livecodebench/pass@1",
                  after=("curve-rl-recode", "curve-rl-grpo")),
    _analyze_runs("curves-aime", {"rl-math-recode": "ReCode", "rl-math-grpo": "GRPO"}, "eval/aime24/pass@1",
                  after=("curve-rl-math-recode", "curve-rl-math-grpo")),
    _analyze_runs("curves-ablation", {"rl-recode": "ReCode", "rl-direct": "Direct", "rl-soft": "Soft",
                                      "rl-other-rm": "Skywork RM"}, "eval/livecodebench/pass@1",
                  after=("curve-rl-recode", "curve-rl-direct", "curve-rl-soft", "curve-rl-other-rm")),
    _analyze_runs("hacking", {"rl-direct": "Direct", "rl-recode": "ReCode"}),
])

# ---- CPU scale: the embedded SmolLM2-135M everywhere, as `recode demo` (toy numbers) ----------------

_TINY_RL = ("--model", _final("sft"), "--max-steps", "2", "train.max_completion_length=192")


def _cpu_rl(name: str, kind: str, rm: bool = True) -> tuple[str, StageSpec]:
    scorer = ("--scorer-path", _rm_path("rm-crpl-7b")) if rm else ()
    return _s(name, "train-rl", "--config", "{configs}/train-rl/default.yaml", "--reward", kind, *scorer, *_TINY_RL,
              "--run-dir", f"{{run}}/{name}", after=("sft", *(("rm-crpl-7b",) if rm else ())))


def _cpu_eval(name: str, model: str, label: str, after: str | None) -> tuple[str, StageSpec]:
    return _s(name, "eval", "--config", "{configs}/eval/embedded.yaml", "--run-dir", f"{{run}}/{name}",
              f"generator.model={model}", f"model_name={label}", "sampling.max_new_tokens=160",
              "benchmarks=[{name: humaneval, limit: 3}]", after=(after,) if after else ())


def _cpu_rm(name: str, *extra: str) -> tuple[str, StageSpec]:
    return _s(name, "train-rm", "--config", "{configs}/train-rm/default.yaml", "--run-dir", f"{{run}}/{name}",
              "data.train={run}/synth/data/pairs.train.jsonl", "data.validation={run}/synth/data/pairs.validation.jsonl",
              *extra, after=("synth",))


def _cpu_pairs_eval(name: str, model: str, after: tuple[str, ...]) -> tuple[str, StageSpec]:
    # no LCB-RB at CPU scale: held-out synthesized pairs stand in for it
    return _s(name, "eval-rm", "--model", model, "--data", "{run}/synth/data/pairs.validation.jsonl",
              "--run-dir", f"{{run}}/{name}", after=("synth", *after))


CPU_STAGES: dict[str, StageSpec] = dict([
    _s("synth", "synth", "--config", "{configs}/synth/default.yaml", "--run-dir", "{run}/synth", "limit=4",
       "base_sampling.max_new_tokens=128", "rewrite_sampling.max_new_tokens=128"),
    _cpu_rm("rm-crpl-7b"),
    *[_cpu_rm(f"rm-{tag}-7b", f"data.pair_types=[{ptype}]")
      for tag, ptype in (("optdeg", "opt>deg"), ("optori", "opt>ori"), ("orideg", "ori>deg"))],
    _cpu_pairs_eval("lcbrb-crpl-7b", _rm_path("rm-crpl-7b"), ("rm-crpl-7b",)),
    _cpu_pairs_eval("lcbrb-base-7b", "embedded:smollm2", ()),
    *[_cpu_pairs_eval(f"lcbrb-{tag}-7b", _rm_path(f"rm-{tag}-7b"), (f"rm-{tag}-7b",))
      for tag in ("optdeg", "optori", "orideg")],
    _s("sft", "train-sft", "--config", "{configs}/train-sft/default.yaml", "--run-dir", "{run}/sft",
       "train.max_steps=12", "train.learning_rate=0.0001"),
    _cpu_rl("rl-grpo", "outcome", rm=False),
    _cpu_rl("rl-recode", "recode"),
    _cpu_rl("rl-direct", "direct"),
    _cpu_rl("rl-soft", "soft"),
    _cpu_eval("eval-base", "embedded:smollm2", "SmolLM2-135M (base)", None),
    _cpu_eval("eval-sft", _final("sft"), "SmolLM2-135M +SFT", "sft"),
    _cpu_eval("eval-grpo", _final("rl-grpo"), "SmolLM2-135M +GRPO", "rl-grpo"),
    _cpu_eval("eval-recode", _final("rl-recode"), "SmolLM2-135M +ReCode", "rl-recode"),
    _s("table7", "analyze", "--config", "{configs}/analyze/paper_table.yaml", "--run-dir", "{run}/table7"),
    _analyze_runs("curves-ablation", {"rl-recode": "ReCode", "rl-direct": "Direct", "rl-soft": "Soft"}),
    _analyze_runs("hacking", {"rl-direct": "Direct", "rl-recode": "ReCode"}),
])

# ---- experiments ----------------------------------------------------------------------------------

_COLS = ("HE", "HE+", "MBPP", "MBPP+", "LCB Easy", "LCB Medium", "LCB Hard", "BCB full", "BCB hard")
_LCB = ("LCB Easy", "LCB Medium", "LCB Hard")
_MATH = ("MATH500", "Minerva", "AIME24")
_8GPU = "8x A800 80GB (paper); vLLM generation, one GPU for the reward model"
_CODE_DATA = ["DeepCoder-Preview-Dataset (training splits)"]
_EVAL_DATA = ["HumanEval+", "MBPP+", "LiveCodeBench 2024-10..2025-02 (private tests)", "BigCodeBench full + hard"]


def _eval_cells(stage: str, cols: tuple[str, ...] = _COLS, table: str = "table") -> dict[str, Metric]:
    return {c: Metric(stage, "report/eval_summary.json", f"{table}.{c}") for c in cols}


def _lcb_cells(stage: str) -> dict[str, Metric]:
    # Tables 4 and 5 average over problems (their Avg is not the mean of Easy/Medium/Hard)
    return {**_eval_cells(stage, _LCB), "Avg": Metric(stage, "report/eval_summary.json", "benchmarks.livecodebench.pass@1")}


def _paper(cols: tuple[str, ...], values: tuple[float, ...], avg: float | None = None) -> dict[str, float]:
    out = dict(zip(cols, values, strict=True))
    if avg is not None:
        out["Avg"] = avg
    return out


def _table1(id_: str, row: str, values: tuple[float, ...], avg: float, stage: str, needs: dict,
            cpu_note: str) -> Experiment:
    return Experiment(id_, "Table 1", f"Qwen2.5-Coder-7B-Instruct {row}: code generation (greedy pass@1, %)", needs,
                      _paper(_COLS, values, avg), (stage,), (stage,), cpu_note, _eval_cells(stage))


_T1_CPU = "embedded SmolLM2-135M on 3 HumanEval problems (toy numbers; the other columns stay empty)"
_RL_NEEDS = {"gpus": _8GPU + "; 1600 steps", "servers": [], "data": _CODE_DATA + _EVAL_DATA}
_RM_PAPER = {"LCB-RB": None, "RewardBench Code": None, "RewardBench Math": None, "Avg": None}


def _rm_row(id_: str, title: str, scorer: str, values: tuple[float | None, ...], needs: dict,
            cpu: bool = False, cpu_note: str = "", ref: str = "Table 2") -> Experiment:
    keys = [k for k in _RM_PAPER][:len(values)]
    paper = {k: v for k, v in zip(keys, values) if v is not None}
    finals = [f"lcbrb-{scorer}"] + ([f"rewardbench-{scorer}"] if "RewardBench Code" in paper else [])
    ours = {"LCB-RB": Metric(f"lcbrb-{scorer}", "report/eval_rm.json", "overall.accuracy", 100)}
    if "RewardBench Code" in paper:
        ours["RewardBench Code"] = Metric(f"rewardbench-{scorer}", "report/eval_rm.json", "files.*.paper_columns.code", 100)
        ours["RewardBench Math"] = Metric(f"rewardbench-{scorer}", "report/eval_rm.json", "files.*.paper_columns.math", 100)
    return Experiment(id_, ref, title, needs, paper, tuple(finals), (f"lcbrb-{scorer}",) if cpu else None,
                      cpu_note or "needs the model or API it evaluates, LCB-RB and RewardBench", ours)


_RM_DATA = ["LCB-RB (built by `recode build-lcbrb`)", "RewardBench filtered (`recode data fetch rewardbench`)"]
_SYNTH = "Qwen2.5-Coder-32B-Instruct (OpenAI-compatible server) for CRPL synthesis"
_LCBRB = "LCB-RB construction: a generator server + OPENAI_API_KEY (GPT-4o judge) + human adjudication"


def _crpl_needs(size: str, extra: str = "") -> dict:
    return {"gpus": f"8 GPUs to train Qwen2.5-Coder-{size.upper()}-Base (ZeRO-3), 1 to score",
            "servers": [_SYNTH + extra, _LCBRB], "data": _CODE_DATA + _RM_DATA}


_ONE_TINY_RM = ("the CPU scale trains one tiny CRPL reward model (table2-crpl-7b); "
                "LCB-RB and RewardBench need GPUs and APIs")
_TWO_GENERATORS = "needs two different generators; the embedded path has one"
_EVAL_NEEDS = {"gpus": "1 GPU per evaluated model", "servers": [_LCBRB], "data": _RM_DATA}
_API_NEEDS = {"gpus": "none", "servers": [_LCBRB, "the judge's API (OPENAI_API_KEY or DEEPSEEK_API_KEY)"],
              "data": _RM_DATA}

EXPERIMENTS: list[Experiment] = [
    # Table 1
    _table1("table1-base", "(base)", (88.4, 84.1, 83.5, 71.7, 56.1, 3.8, 6.9, 41.0, 18.2), 50.4, "eval-base",
            {"gpus": "1 GPU", "servers": [], "data": _EVAL_DATA}, _T1_CPU),
    _table1("table1-sft", "+SFT", (66.2, 57.3, 73.3, 63.5, 34.1, 3.8, 0.0, 39.9, 13.5), 39.1, "eval-sft",
            {"gpus": _8GPU, "servers": [], "data": _CODE_DATA + _EVAL_DATA}, _T1_CPU),
    _table1("table1-grpo", "+GRPO (outcome only)", (85.9, 81.1, 86.7, 75.1, 58.5, 15.1, 9.7, 52.0, 29.7), 54.9,
            "eval-grpo", _RL_NEEDS, _T1_CPU),
    _table1("table1-recode", "+ReCode", (90.9, 86.0, 87.0, 76.2, 68.3, 20.8, 9.7, 54.0, 33.8), 58.5, "eval-recode",
            {**_RL_NEEDS, "servers": [_SYNTH]}, _T1_CPU),
    # Table 2
    _rm_row("table2-crpl-7b", "Qwen2.5-Coder-7B + CRPL reward model", "crpl-7b", (62.6, 88.6, 99.8, 83.7),
            _crpl_needs("7b"), cpu=True,
            cpu_note="tiny RM on the embedded generator's pairs, scored on held-out pairs (no LCB-RB, no RewardBench)"),
    _rm_row("table2-crpl-3b", "Qwen2.5-Coder-3B + CRPL reward model", "crpl-3b", (57.9, 63.6, 93.5, 71.7),
            _crpl_needs("3b"), cpu_note=_ONE_TINY_RM),
    _rm_row("table2-score-7b", "Qwen2.5-Coder-7B + score-based reward model", "score-7b", (57.7, 80.2, 71.8, 69.9),
            _crpl_needs("7b"), cpu_note=_ONE_TINY_RM),
    _rm_row("table2-score-3b", "Qwen2.5-Coder-3B + score-based reward model", "score-3b", (51.0, 49.4, 47.2, 49.2),
            _crpl_needs("3b"), cpu_note=_ONE_TINY_RM),
    _rm_row("table2-base-7b", "Qwen2.5-Coder-7B (untrained scalar head)", "base-7b", (53.8, 43.9, 65.8, 54.5),
            _EVAL_NEEDS, cpu=True, cpu_note="the embedded SmolLM2 with an untrained head on held-out synthesized pairs"),
    _rm_row("table2-base-3b", "Qwen2.5-Coder-3B (untrained scalar head)", "base-3b", (50.3, 52.8, 60.0, 54.4),
            _EVAL_NEEDS),
    _rm_row("table2-deepseek-v3", "DeepSeek-V3 as a judge", "deepseek-v3", (66.9, 98.5, 78.5, 81.3), _API_NEEDS),
    _rm_row("table2-gpt-4-turbo", "GPT-4-Turbo-2024-04-09 as a judge", "gpt-4-turbo", (63.7, 98.1, 67.3, 76.4),
            _API_NEEDS),
    _rm_row("table2-gpt-3.5-turbo", "GPT-3.5-Turbo-0125 as a judge", "gpt-3.5-turbo", (50.7, 77.6, 40.6, 56.3),
            _API_NEEDS),
    _rm_row("table2-starling-rm-34b", "Starling-RM-34B", "starling-rm-34b", (55.3, 88.8, 85.9, 76.7),
            {**_EVAL_NEEDS, "gpus": "1-2 GPUs (34B in bf16)"}),
    _rm_row("table2-eurus-rm-7b", "EURUS-RM-7B", "eurus-rm-7b", (57.0, 92.8, 79.9, 76.5), _EVAL_NEEDS),
    _rm_row("table2-skywork-8b", "Skywork-Reward-Llama-3.1-8B (LCB-RB only: RewardBench contamination)",
            "skywork-8b", (61.6,), _EVAL_NEEDS),
    # Table 3
    Experiment("table3-base", "Table 3", "Qwen2.5-Math-7B (base): math (greedy accuracy, %)",
               {"gpus": "1 GPU", "servers": [], "data": ["MATH500", "Minerva Math", "AIME 2024"]},
               _paper(_MATH, (46.9, 15.5, 11.2), 24.5), ("eval-math-base",), None,
               "no embedded math policy worth measuring", _eval_cells("eval-math-base", _MATH, "math_table")),
    Experiment("table3-grpo", "Table 3", "Qwen2.5-Math-7B +GRPO (outcome-only math reward, 900 steps)",
               {"gpus": _8GPU + "; 900 steps", "servers": [],
                "data": ["DAPO-Math-17k", "MATH500", "Minerva Math", "AIME 2024"]},
               _paper(_MATH, (83.0, 34.2, 26.7), 48.0), ("eval-math-grpo",), None,
               "no CPU twin (a 7B math policy)",
               _eval_cells("eval-math-grpo", _MATH, "math_table")),
    Experiment("table3-recode", "Table 3", "Qwen2.5-Math-7B +ReCode (the RQ1 reward model, 900 steps)",
               {"gpus": _8GPU + "; 900 steps", "servers": [_SYNTH],
                "data": ["DAPO-Math-17k", "MATH500", "Minerva Math", "AIME 2024"]},
               _paper(_MATH, (83.0, 38.2, 33.3), 51.5), ("eval-math-recode",), None, "no CPU twin",
               _eval_cells("eval-math-recode", _MATH, "math_table")),
    # Table 4
    *[Experiment(f"table4-{tag}", "Table 4", f"Qwen3-4B-Instruct {row}: LiveCodeBench (400 steps)",
                 {"gpus": "1 GPU" if tag == "base" else _8GPU + "; 400 steps",
                  "servers": [_SYNTH] if tag == "recode" else [], "data": _CODE_DATA + [_EVAL_DATA[2]]},
                 _paper(_LCB, vals, avg), (f"eval-qwen3-{tag}",), None, "no CPU twin (a 4B policy)",
                 _lcb_cells(f"eval-qwen3-{tag}"))
      for tag, row, vals, avg in (("base", "(base)", (68.2, 32.1, 8.3), 30.7),
                                  ("grpo", "+GRPO", (82.9, 22.6, 11.1), 32.5),
                                  ("recode", "+ReCode", (82.9, 32.1, 12.5), 36.1))],
    # Table 5 (its base row is Table 1's base model, on LiveCodeBench)
    Experiment("table5-base", "Table 5", "Qwen2.5-Coder-7B-Instruct (base): LiveCodeBench",
               {"gpus": "1 GPU", "servers": [], "data": [_EVAL_DATA[2]]},
               _paper(_LCB, (56.1, 3.8, 6.9), 18.1), ("eval-base",), None,
               "no CPU twin (LiveCodeBench evaluation)", _lcb_cells("eval-base")),
    *[Experiment(f"table5-{tag}", "Table 5", f"Qwen2.5-Coder-7B-Instruct {row}, 400 steps: LiveCodeBench",
                 {"gpus": _8GPU + "; 400 steps", "servers": [_SYNTH] if "recode" in tag else [],
                  "data": _CODE_DATA + [_EVAL_DATA[2]]},
                 _paper(_LCB, vals, avg), (f"eval-{tag}-400",), None,
                 "no CPU twin (LiveCodeBench evaluation); `recode train-rl --reward compiler` runs on CPU",
                 _lcb_cells(f"eval-{tag}-400"))
      for tag, row, vals, avg in (("compiler", "+GRPO (compiler-based reward)", (63.4, 15.1, 8.3), 24.1),
                                  ("recode", "+ReCode", (65.9, 15.1, 9.7), 25.3),
                                  ("compiler-recode", "+ReCode +compiler-based reward", (75.6, 17.0, 6.9), 27.1))],
    # Table 6 (the single-generator rows are Table 2's CRPL rows)
    _rm_row("table6-cross-7b", "Qwen2.5-Coder-7B + cross-generator CRPL (50/50 Qwen2.5-Coder-32B / Llama-3.1-70B)",
            "cross-7b", (55.3, 81.5, 89.4), _crpl_needs("7b", " and Llama-3.1-70B-Instruct (second server)"),
            cpu_note=_TWO_GENERATORS,
            ref="Table 6"),
    _rm_row("table6-cross-3b", "Qwen2.5-Coder-3B + cross-generator CRPL (50/50 Qwen2.5-Coder-32B / Llama-3.1-70B)",
            "cross-3b", (52.9, 54.6, 81.7), _crpl_needs("3b", " and Llama-3.1-70B-Instruct (second server)"),
            cpu_note=_TWO_GENERATORS,
            ref="Table 6"),
    # Table 7
    Experiment("table7", "Table 7", "Reasoning quality vs. code correctness: 2x2 table and chi-square test",
               {"gpus": "none (the generator behind a server)",
                "servers": ["Qwen2.5-Coder-32B-Instruct (50 samples per problem, T=1.0)",
                            "OPENAI_API_KEY (GPT-4o-mini judge)"],
                "data": ["LiveCodeBench v5 (all problems)"]},
               {"pass_flawless": 3133, "fail_flawless": 8376, "pass_flawed": 5051, "fail_flawed": 16586, "N": 33146,
                "p_value": 9.3e-15, "pass_rate_flawless_%": 27.2, "pass_rate_flawed_%": 23.3},
               ("table7",), ("table7",), "the analysis of the paper's own table (configs/analyze/paper_table.yaml)",
               {"pass_flawless": Metric("table7", "report/analysis.json", "correlation.table.pass_flawless"),
                "fail_flawless": Metric("table7", "report/analysis.json", "correlation.table.fail_flawless"),
                "pass_flawed": Metric("table7", "report/analysis.json", "correlation.table.pass_flawed"),
                "fail_flawed": Metric("table7", "report/analysis.json", "correlation.table.fail_flawed"),
                "N": Metric("table7", "report/analysis.json", "correlation.n"),
                # the paper's p matches Fisher's exact test (see recode_rl/evaluation/analyze.py)
                "p_value": Metric("table7", "report/analysis.json", "correlation.fisher_p_value"),
                "pass_rate_flawless_%": Metric("table7", "report/analysis.json",
                                               "correlation.pass_rate_given_flawless", 100),
                "pass_rate_flawed_%": Metric("table7", "report/analysis.json", "correlation.pass_rate_given_flawed", 100)}),
    # Table 8
    Experiment("table8", "Table 8",
               "Generation efficiency on LiveCodeBench: pass@1 and mean generated tokens, GRPO vs ReCode",
               _RL_NEEDS, {**{f"GRPO {d} pass@1": v for d, v in zip(("Easy", "Medium", "Hard"), (58.5, 15.1, 9.7))},
                           **{f"GRPO {d} tokens": v for d, v in zip(("Easy", "Medium", "Hard"), (427.3, 568.2, 813.6))},
                           **{f"ReCode {d} pass@1": v for d, v in zip(("Easy", "Medium", "Hard"), (68.3, 20.8, 9.7))},
                           **{f"ReCode {d} tokens": v for d, v in zip(("Easy", "Medium", "Hard"), (324.1, 441.7, 619.8))},
                           "token reduction %": -23.4},
               ("eval-grpo", "eval-recode"), None, "no CPU twin (LiveCodeBench by difficulty)",
               {f"{who} {d.capitalize()} {what}": Metric(stage, "report/eval_summary.json",
                                                          f"benchmarks.livecodebench.by_difficulty.{d}.{key}")
                for who, stage in (("GRPO", "eval-grpo"), ("ReCode", "eval-recode"))
                for d in ("easy", "medium", "hard") for what, key in (("pass@1", "pass@1"), ("tokens", "mean_tokens"))}
               | {"token reduction %": Ratio(tuple(f"ReCode {d} tokens" for d in ("Easy", "Medium", "Hard")),
                                             tuple(f"GRPO {d} tokens" for d in ("Easy", "Medium", "Hard")))}),
    # Figures
    Experiment("figure3a", "Figure 3a", "LiveCodeBench pass@1 over training steps, ReCode vs GRPO", _RL_NEEDS,
               {"finding": "ReCode stays above outcome-only GRPO throughout training (1600 steps)"},
               ("curves-lcb",), None,
               "no CPU twin; held-out LiveCodeBench pass@1 of the snapshots kept every eval.every steps",
               _dynamics("curves-lcb", ("ReCode", "GRPO"))),
    Experiment("figure3b", "Figure 3b", "AIME24 accuracy over training steps, ReCode vs GRPO (math)",
               {"gpus": _8GPU + "; 900 steps", "servers": [], "data": ["DAPO-Math-17k", "AIME 2024"]},
               {"finding": "ReCode outperforms GRPO without reasoning rewards throughout training"},
               ("curves-aime",), None, "no CPU twin; held-out AIME24 pass@1 of the snapshots kept every eval.every steps",
               _dynamics("curves-aime", ("ReCode", "GRPO"))),
    Experiment("figure3c", "Figure 3c",
               "Reward formulation and reward-model ablations over the first 500 steps (LiveCodeBench)",
               {**_RL_NEEDS, "servers": [_SYNTH, "Skywork-Reward-Llama-3.1-8B served for RL (--var other_rm_url=URL)"]},
               {"finding": "direct addition and the soft gate both underperform CG-GRPO, direct addition most; "
                           "the CRPL reward model beats Skywork-Reward-Llama-3.1-8B"},
               ("curves-ablation",), ("curves-ablation",),
               "2-step RL runs (recode, direct, soft) of the embedded policy; no other-RM run",
               _dynamics("curves-ablation", ("ReCode", "Direct", "Soft", "Skywork RM"))),
    Experiment("figure3d", "Figure 3d", "Reward hacking dynamics: process reward over steps, direct addition vs ReCode",
               _RL_NEEDS,
               {"finding": "under direct addition the process reward saturates near 1.0 within the first 50 steps "
                           "while performance stagnates; under ReCode it grows gradually and stays moderate"},
               ("hacking",), ("hacking",),
               "2-step RL runs (direct, recode) of the embedded policy, then `recode analyze runs=[...]`",
               _dynamics("hacking", ("Direct", "ReCode"))),
    Experiment("figure4", "Figure 4",
               "Preference-pair types: Opt-Deg, Opt-Ori, Ori-Deg, all three (Qwen2.5-Coder-7B and 3B)",
               {"gpus": "8 GPUs per RM training (8 reward models)", "servers": [_SYNTH, _LCBRB],
                "data": _CODE_DATA + _RM_DATA},
               {"finding": "all three pair types together are best; Opt-Deg alone is the best single type, "
                           "22.2% above Opt-Ori and Ori-Deg on average"},
               tuple(f"{bench}-{tag}-{size}" for size in ("7b", "3b") for tag in ("crpl", "optdeg", "optori", "orideg")
                     for bench in ("lcbrb", "rewardbench")),
               tuple(f"lcbrb-{tag}-7b" for tag in ("crpl", "optdeg", "optori", "orideg")),
               "tiny RMs per pair type on the embedded generator's pairs, scored on held-out pairs",
               {f"{tag} {size} {col}": Metric(f"{bench}-{tag}-{size}", "report/eval_rm.json", key, 100)
                for size in ("7b", "3b") for tag in ("crpl", "optdeg", "optori", "orideg")
                for col, bench, key in (("LCB-RB", "lcbrb", "overall.accuracy"),
                                        ("RB Code", "rewardbench", "files.*.paper_columns.code"),
                                        ("RB Math", "rewardbench", "files.*.paper_columns.math"))}),
]
