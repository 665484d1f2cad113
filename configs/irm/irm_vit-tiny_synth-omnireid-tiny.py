# Instruct-ReID (IRM) on SynthOmniReID `tiny`, all six tasks in one model
# and one training run, sized for a 2-core CPU; `tools/test.py` evaluates
# the six test sets in one pass (keys synth_omnireid/<task>/<metric>).
_base_ = [
    '../_base_/models/irm_vit-tiny.py',
    '../_base_/datasets/synth_omnireid_tiny_multitask.py',
    '../_base_/schedules/adamw_cosine_1500iters.py',
    '../_base_/default_runtime.py',
]

# One ID classifier per training list: 32 training identities each in
# `tiny` (meta.json counts); t2i trains the T2I head, not a classifier.
model = dict(
    head=dict(
        num_classes={
            'synth_omnireid/trad': 32,
            'synth_omnireid/cc': 32,
            'synth_omnireid/ctcc': 32,
            'synth_omnireid/li': 32,
            'synth_omnireid/vi': 32,
        }))
