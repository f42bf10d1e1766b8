"""Problems and their tests: one representation (`schema`) and loaders that produce it.

    from recode_rl.data import load_problems
    problems = load_problems("humaneval")                  # or mbpp, mbpp+, humaneval+, embedded,
    problems = load_problems("livecodebench", start="2024-08-01", end="2025-01-31")
    problems = load_problems("my_problems.jsonl")          # schema detected per record
    problems = load_problems("my_pkg.loaders:load_mine")   # user loader by dotted path

Loader modules: humaneval, mbpp, livecodebench, taco, rllm, evalplus, bigcodebench, math (gold
answers instead of tests), embedded, files (local files and Hugging Face datasets); `registry` ties them together; `records` reads files with
errors that name file, line/record and field.
"""

from recode_rl.data.registry import available, load_problems, register_loader
from recode_rl.data.schema import Problem

__all__ = ["Problem", "load_problems", "register_loader", "available"]
