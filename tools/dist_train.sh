#!/usr/bin/env bash
# Usage: bash tools/dist_train.sh CONFIG GPUS [ARGS...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
# DIST_TOOL=test.py runs tools/test.py instead (what dist_test.sh does).
CONFIG=$1
GPUS=$2

# A bad process count is a usage error (exit code 2) before torch starts.
if [[ $# -lt 2 || ! $GPUS =~ ^[0-9]+$ || $((10#$GPUS)) -lt 1 ]]; then
    echo "Usage: bash tools/dist_train.sh CONFIG GPUS [ARGS...]" >&2
    echo "GPUS must be a whole number of processes per node, 1 or more;" \
        "got '${GPUS}'." >&2
    exit 2
fi
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

PYTHONPATH="$(dirname $0)/..":$PYTHONPATH \
python -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    $(dirname "$0")/${DIST_TOOL:-train.py} \
    $CONFIG \
    --launcher pytorch ${@:3}
