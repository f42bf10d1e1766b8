#!/usr/bin/env bash
# CG-GRPO with veRL on Ray, one or many nodes (paper settings in recode_grpo.yaml).
#
#   head node:    NNODES=2 NODE_RANK=0 recipes/verl/run_recode_grpo.sh
#   other nodes:  NNODES=2 NODE_RANK=1 HEAD_ADDR=10.0.0.1 recipes/verl/run_recode_grpo.sh
#
# Environment: NNODES (default 1), NODE_RANK (0 = head), HEAD_ADDR (address of the head, workers
# only), GPUS_PER_NODE (8), RM (reward-model folder from `recode train-rm`), REWARD (recode | direct |
# soft | outcome | compiler | compiler+recode), TRAIN_PARQUET / VAL_PARQUET (made from PROBLEMS, a
# problem set or file for recode_rl.data.load_problems, when missing; see docs/training.md),
# SCORER_URL (optional: a running process scorer, e.g. `recode serve-scorer ... --port 8001` ->
# http://rm-host:8001/score, or vLLM's .../classify; then veRL starts no reward model and the
# reasoning is scored in validation too; without it validation reports format + outcome only).
# Extra arguments are passed to verl.trainer.main_ppo as Hydra overrides.
set -euo pipefail

cd "$(dirname "$0")/../.."
NNODES="${NNODES:-1}"
NODE_RANK="${NODE_RANK:-0}"
GPUS_PER_NODE="${GPUS_PER_NODE:-8}"
RAY_PORT="${RAY_PORT:-6379}"
RM="${RM:-runs/rm/checkpoints/reward_model}"
REWARD="${REWARD:-recode}"
TRAIN_PARQUET="${TRAIN_PARQUET:-data/deepcoder_train.parquet}"
VAL_PARQUET="${VAL_PARQUET:-data/lcb_val.parquet}"

if [[ "$NODE_RANK" != "0" ]]; then
  : "${HEAD_ADDR:?set HEAD_ADDR to the address of the head node}"
  ray start --address="${HEAD_ADDR}:${RAY_PORT}" --num-gpus="$GPUS_PER_NODE" --block
  exit 0
fi

# 1. data: our problems -> veRL parquet (prompt = the CG-GRPO policy prompt; tests in ground_truth)
if [[ ! -f "$TRAIN_PARQUET" ]]; then
  : "${PROBLEMS:?set PROBLEMS (problem set or file) or provide TRAIN_PARQUET}"
  python3 -m recode_rl.rewards.verl_data "$PROBLEMS" "$TRAIN_PARQUET" --split train
fi
if [[ ! -f "$VAL_PARQUET" ]]; then
  python3 -m recode_rl.rewards.verl_data livecodebench "$VAL_PARQUET" --split test
fi

alive_nodes() {
  python3 - <<'PY'
import ray
ray.init(address="auto", logging_level="ERROR")
print(sum(1 for node in ray.nodes() if node["Alive"]))
PY
}

# 2. Ray head (workers join with NODE_RANK>0)
ray start --head --port="$RAY_PORT" --num-gpus="$GPUS_PER_NODE"
if [[ "$NNODES" -gt 1 ]]; then
  echo "waiting for $((NNODES - 1)) worker node(s) to join ..."
  until [[ "$(alive_nodes)" -ge "$NNODES" ]]; do
    sleep 10
  done
fi

# 3. train
SCORER_ARGS=()
if [[ -n "${SCORER_URL:-}" ]]; then
  SCORER_ARGS=(reward_model.enable=false "custom_reward_function.reward_kwargs.scorer={kind:http,url:'${SCORER_URL}'}")
fi
python3 -m verl.trainer.main_ppo \
  --config-path="$PWD/recipes/verl" --config-name=recode_grpo \
  data.train_files="$TRAIN_PARQUET" data.val_files="$VAL_PARQUET" \
  reward_model.model.path="$RM" \
  custom_reward_function.path="$PWD/recode_rl/rewards/verl_reward.py" \
  custom_reward_function.reward_kwargs.reward="$REWARD" \
  custom_reward_function.reward_kwargs.scoring_card="$RM" \
  trainer.nnodes="$NNODES" trainer.n_gpus_per_node="$GPUS_PER_NODE" \
  trainer.experiment_name="recode-${REWARD}-$(date +%Y%m%d-%H%M%S)" \
  ${SCORER_ARGS[@]+"${SCORER_ARGS[@]}"} "$@"
