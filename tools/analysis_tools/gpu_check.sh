#!/usr/bin/env bash
# The GPU checks in one go: the test files that hold CUDA-only tests (those
# that ask torch.cuda.is_available()), then benchmark_train.py and
# benchmark_infer.py of the paper config (its ViT-B alone is the plain_vit
# entry of each JSON) at batch 64, 128 and 256 in
# bfloat16, and at 128 in float32. Every result goes to OUT_DIR (default
# work_dirs/gpu_check): cuda_tests.log, cuda_tests.xml (JUnit), one JSON
# per benchmark, a .log next to each, and summary.txt. A failing step is
# recorded and the next one runs; the exit code is 1 if any failed.
#
# Usage: bash tools/analysis_tools/gpu_check.sh [OUT_DIR]
# Environment:
#   DRY_RUN=1      on CPU, with the tiny IRM config, one iteration, batch
#                  sizes BATCH_SIZES (default 4): checks the script itself.
#   CONFIG         the benchmarked config (default the paper config).
#   BATCH_SIZES    batch sizes of the bf16 runs (default "64 128 256").
#   ITERS, ROUNDS  timed steps per round and rounds (default 10, one per
#                  training list of the paper config, and 3).
#   EXTRA_ARGS     more arguments for every benchmark (e.g. --cfg-options).
OUT_DIR=${1:-work_dirs/gpu_check}
cd "$(dirname "$0")/../.."
mkdir -p "$OUT_DIR"

if [[ "${DRY_RUN:-0}" == "1" ]]; then
    CONFIG=${CONFIG:-configs/irm/irm_vit-tiny_synth-omnireid-tiny.py}
    BATCH_SIZES=${BATCH_SIZES:-4}
    ITERS=${ITERS:-1}
    ROUNDS=${ROUNDS:-1}
    FP32_BATCH=""
    COMMON="--device cpu --warmup 1"
    PYTEST_ARGS="--collect-only"
else
    CONFIG=${CONFIG:-configs/irm/irm_vit-b_omnireid.py}
    BATCH_SIZES=${BATCH_SIZES:-64 128 256}
    ITERS=${ITERS:-10}
    ROUNDS=${ROUNDS:-3}
    FP32_BATCH=128
    COMMON="--device cuda"
    PYTEST_ARGS=""
fi
CUDA_TESTS=$(grep -rl --include='*.py' 'cuda.is_available' tests | sort)
FAILED=0
SUMMARY="$OUT_DIR/summary.txt"
: > "$SUMMARY"

record() {  # record NAME EXIT_CODE
    echo "$1: $([[ $2 == 0 ]] && echo ok || echo "failed ($2)")" \
        | tee -a "$SUMMARY"
    [[ $2 == 0 ]] || FAILED=1
}

nvidia-smi > "$OUT_DIR/nvidia-smi.txt" 2>&1

python -m pytest -q -rs $PYTEST_ARGS --junitxml="$OUT_DIR/cuda_tests.xml" \
    $CUDA_TESTS > "$OUT_DIR/cuda_tests.log" 2>&1
record cuda_tests $?

benchmark() {  # benchmark KIND NAME ARGS...
    local kind=$1 name=$2
    shift 2
    python "tools/analysis_tools/benchmark_${kind}.py" "$CONFIG" $COMMON \
        --iters "$ITERS" --rounds "$ROUNDS" "$@" ${EXTRA_ARGS:-} \
        > "$OUT_DIR/${name}.json" 2> "$OUT_DIR/${name}.log"
    record "$name" $?
}

for bs in $BATCH_SIZES; do
    benchmark train "train_bf16_bs${bs}" --amp bf16 --batch-size "$bs"
    benchmark infer "infer_bf16_bs${bs}" --amp bf16 --batch-size "$bs"
done
if [[ -n "$FP32_BATCH" ]]; then
    benchmark train "train_fp32_bs${FP32_BATCH}" --batch-size "$FP32_BATCH"
    benchmark infer "infer_fp32_bs${FP32_BATCH}" --batch-size "$FP32_BATCH"
fi
exit $FAILED
