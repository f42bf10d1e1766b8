"""The CRPL reasoning reward model: training (Bradley-Terry, score-based baseline), scoring, evaluation.

    encoding.py     template + truncation policy -> input ids (nothing is ever dropped)
    data.py         preference pairs / scored reasonings, validated
    train.py        Bradley-Terry on TRL's RewardTrainer        (`recode train-rm`, cli.py)
    score_based.py  the paper's score-based baseline
    scoring.py      RewardModel scorer + scoring_card.json
    config.py       typed configs of `recode train-rm` (Config) and `recode eval-rm` (EvalRmConfig)
    evaluate.py     pairwise accuracy, RewardBench weighting, evaluate_files  (`recode eval-rm`, eval_cli.py)
    judge.py        generator-as-judge baseline

Nothing heavy is imported here; torch/transformers/TRL load inside the functions that need them.
"""
