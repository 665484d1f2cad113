# The `trad` specialist on SynthOmniReID `tiny`: the IRM of
# ../irm_vit-tiny_all-tasks_synth-omnireid-tiny.py (the joint model) reduced
# to what trad uses, trained on the trad training list alone and tested on
# the trad query and gallery sets. trad's instruction is a fixed text, so
# the model is instruction-blind (the ViT, its BN neck and ID classifier, the
# ID and triplet losses of the joint model; no instruction encoders, no
# fusion, no T2I head). Same optimizer steps (1,500), schedule and batch as
# the joint model, whose every step holds one 8x4 batch of each list.
# See docs/en/advanced_guides/evidence.md.
_base_ = [
    '../../_base_/models/irm_vit-tiny.py',
    '../../_base_/datasets/synth_omnireid_tiny_singletask.py',
    '../../_base_/schedules/adamw_cosine_1500iters.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    instruction_blind=True,
    text_encoder=None,
    image_instruction_encoder=None,
    fusion=None,
    t2i_head=None,
    head=dict(num_classes={'synth_omnireid/trad': 32}))
