#!/usr/bin/env bash
# Train and test every row of the evidence tables of one SynthOmniReID
# preset, in order, then print the tables
# (docs/en/advanced_guides/evidence.md).
#
# Usage: bash tools/analysis_tools/run_evidence.sh PRESET [ROW ...]
#
#   PRESET  tiny or small
#   ROW     the rows to run, in the order given; default: all of them, in
#           this order: joint, specialist-trad, specialist-cc,
#           specialist-ctcc, specialist-li, specialist-vi, specialist-t2i,
#           one-task, albef-joint, albef-specialist-t2i, table
#
# A training row trains its config into $WORK_DIR/PRESET/ROW/ and tests the
# last checkpoint with --out $WORK_DIR/PRESET/ROW.json. Training always runs
# with --resume: a row that was stopped continues from its latest checkpoint
# when the script runs it again (bit-exact, see
# docs/en/advanced_guides/exact_resume.md), and a finished row goes straight
# to its test. `table` prints the two tables (evidence_table.py) and writes
# them to evidence.md and evidence-albef.md there (with .json twins).
#
# Environment: WORK_DIR (default work_dirs/evidence), PYTHON (default
# python), THREADS (default 1), DRY_RUN=1 (print the commands, run nothing).
#
# Every row runs with THREADS intra-op threads (OMP_NUM_THREADS and
# MKL_NUM_THREADS): the CPU kernels split their sums by thread, so the
# digits of a row depend on the thread count as well as on the processor.
# One thread by default reproduces a row on any machine with the same kind
# of processor, whatever its core count; on a 2-core machine, run two row
# lists in two shells.
set -euo pipefail

export OMP_NUM_THREADS=${THREADS:-1}
export MKL_NUM_THREADS=$OMP_NUM_THREADS

PRESET=${1:-}
case "$PRESET" in
tiny)
    STEPS=1500
    ONE_TASK_CONFIG=configs/irm/irm_vit-tiny_one-task-9k_synth-omnireid-tiny.py
    ;;
small)
    STEPS=3000
    ONE_TASK_CONFIG=configs/irm/irm_vit-tiny_one-task-18k_synth-omnireid-small.py
    ;;
*)
    echo "run_evidence.sh: PRESET must be tiny or small, got '$PRESET'" >&2
    echo "usage: bash tools/analysis_tools/run_evidence.sh PRESET [ROW ...]" >&2
    exit 2
    ;;
esac
shift

PYTHON=${PYTHON:-python}
WORK=${WORK_DIR:-work_dirs/evidence}/$PRESET
DATA_ROOT=data/synth_omnireid_$PRESET
NAME=vit-tiny_synth-omnireid-$PRESET
JOINT_CONFIG=configs/irm/irm_vit-tiny_all-tasks_synth-omnireid-$PRESET.py
ALBEF_JOINT_CONFIG=configs/irm/irm-albef_vit-tiny_all-tasks_synth-omnireid-$PRESET.py
TASKS=(trad cc ctcc li vi t2i)
ALL_ROWS=(joint)
for task in "${TASKS[@]}"; do
    ALL_ROWS+=("specialist-$task")
done
ALL_ROWS+=(one-task albef-joint albef-specialist-t2i table)

# Print a command, then run it unless DRY_RUN=1.
run() {
    echo "$*"
    if [ "${DRY_RUN:-0}" != 1 ]; then
        "$@"
    fi
}

# train_test ROW CONFIG ITERATIONS: train, then test the last checkpoint.
train_test() {
    local row=$1 config=$2 iters=$3
    run "$PYTHON" tools/train.py "$config" --work-dir "$WORK/$row" --resume
    run "$PYTHON" tools/test.py "$config" "$WORK/$row/iter_$iters.pth" \
        --work-dir "$WORK/$row/test" --out "$WORK/$row.json"
}

# table NAME ARGS...: print a table (evidence_table.py ARGS) and write it to
# $WORK/NAME.md and, with its rows and checks, to $WORK/NAME.json.
table() {
    local name=$1
    shift
    run "$PYTHON" tools/analysis_tools/evidence_table.py "$@" \
        --data-root "$DATA_ROOT" --markdown "$WORK/$name.md" \
        --json "$WORK/$name.json"
}

run_row() {
    local row=$1
    case "$row" in
    joint)
        train_test joint "$JOINT_CONFIG" "$STEPS"
        ;;
    specialist-*)
        train_test "$row" "configs/irm/specialists/irm-${row}_$NAME.py" \
            "$STEPS"
        ;;
    one-task)
        train_test one-task "$ONE_TASK_CONFIG" $((6 * STEPS))
        ;;
    albef-joint)
        train_test albef-joint "$ALBEF_JOINT_CONFIG" "$STEPS"
        ;;
    albef-specialist-t2i)
        train_test albef-specialist-t2i \
            "configs/irm/specialists/irm-albef-specialist-t2i_$NAME.py" \
            "$STEPS"
        ;;
    table)
        local specialists=()
        for task in "${TASKS[@]}"; do
            specialists+=("$WORK/specialist-$task.json")
        done
        table evidence --joint "$WORK/joint.json" \
            --specialists "${specialists[@]}" \
            --one-task "$WORK/one-task.json"
        # The ALBEF-style joint model: the same specialists but for t2i,
        # whose specialist has the ALBEF-style head too.
        table evidence-albef --joint "$WORK/albef-joint.json" \
            --specialists "${specialists[@]/specialist-t2i/albef-specialist-t2i}"
        ;;
    esac
}

ROWS=("$@")
if [ ${#ROWS[@]} -eq 0 ]; then
    ROWS=("${ALL_ROWS[@]}")
fi
for row in "${ROWS[@]}"; do
    case " ${ALL_ROWS[*]} " in
    *" $row "*) ;;
    *)
        echo "run_evidence.sh: unknown row '$row'; rows: ${ALL_ROWS[*]}" >&2
        exit 2
        ;;
    esac
done
if [ "${DRY_RUN:-0}" != 1 ]; then
    mkdir -p "$WORK"
fi
for row in "${ROWS[@]}"; do
    run_row "$row"
done
