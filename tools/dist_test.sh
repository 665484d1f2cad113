#!/usr/bin/env bash
# Usage: bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [ARGS...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
CONFIG=$1
CHECKPOINT=$2
GPUS=$3

# A bad process count is a usage error (exit code 2) before torch starts.
if [[ $# -lt 3 || ! $GPUS =~ ^[0-9]+$ || $((10#$GPUS)) -lt 1 ]]; then
    echo "Usage: bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [ARGS...]" >&2
    echo "GPUS must be a whole number of processes per node, 1 or more;" \
        "got '${GPUS}'." >&2
    exit 2
fi

DIST_TOOL=test.py bash "$(dirname "$0")/dist_train.sh" \
    $CONFIG $GPUS $CHECKPOINT ${@:4}
