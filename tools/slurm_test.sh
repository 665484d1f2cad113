#!/usr/bin/env bash
# Usage: GPUS=8 bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG \
#            CHECKPOINT [ARGS...]
# Tests a checkpoint with GPUS processes started by srun (see
# slurm_train.sh for GPUS_PER_NODE, CPUS_PER_TASK and SRUN_ARGS).
set -x

if [[ $# -lt 4 ]]; then
    echo "Usage: GPUS=8 bash tools/slurm_test.sh PARTITION JOB_NAME" \
        "CONFIG CHECKPOINT [ARGS...]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PY_ARGS=${@:5}

PYTHONPATH="$(dirname $0)/..":$PYTHONPATH \
srun -p ${PARTITION} \
    --job-name=${JOB_NAME} \
    --gres=gpu:${GPUS_PER_NODE} \
    --ntasks=${GPUS} \
    --ntasks-per-node=${GPUS_PER_NODE} \
    --cpus-per-task=${CPUS_PER_TASK} \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    python -u $(dirname "$0")/test.py ${CONFIG} ${CHECKPOINT} \
    --launcher="slurm" ${PY_ARGS}
