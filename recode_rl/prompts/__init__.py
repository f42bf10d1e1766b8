"""Every prompt the pipeline sends to a model, in one place (text moved here, not reworded).

    policy      the policy prompt for code and math (RL, SFT, LCB-RB sampling, evaluation)
    evaluation  how a policy under evaluation is prompted per task (policy or completion style)
    synthesis   the CRPL templates (base / optimize / degrade / score), shipped as files in
                `templates/` and overridable from a user directory
    judge       the LCB-RB consistency judge and the generator-as-judge rating prompt

The parsers that read the replies stay beside the code that uses them (`rewards.parsing`,
`synthesis.parse`, `evaluation.judge`, `reward_model.judge`). Light to import: no torch.
"""

from recode_rl.prompts.evaluation import PromptStyle, build_prompt, stub_of
from recode_rl.prompts.judge import LCBRB_JUDGE_PROMPT, RATING_JUDGE_PROMPT, lcbrb_judge_prompt, rating_judge_prompt
from recode_rl.prompts.policy import (CODE_INSTRUCTION, MATH_INSTRUCTION, SYSTEM_PROMPT, io_hint, math_messages,
                                      policy_messages)
from recode_rl.prompts.synthesis import TEMPLATE_FIELDS, Template, load_templates, problem_text

__all__ = [
    "SYSTEM_PROMPT", "CODE_INSTRUCTION", "MATH_INSTRUCTION", "io_hint", "policy_messages", "math_messages",
    "PromptStyle", "build_prompt", "stub_of",
    "TEMPLATE_FIELDS", "Template", "load_templates", "problem_text",
    "LCBRB_JUDGE_PROMPT", "lcbrb_judge_prompt", "RATING_JUDGE_PROMPT", "rating_judge_prompt",
]
