#!/usr/bin/env bash
# Usage: bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [ARGS...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
CONFIG=$1
CHECKPOINT=$2
GPUS=$3

DIST_TOOL=test.py bash "$(dirname "$0")/dist_train.sh" \
    $CONFIG $GPUS $CHECKPOINT ${@:4}
