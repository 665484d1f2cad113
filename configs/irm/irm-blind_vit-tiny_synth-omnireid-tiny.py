# The instruction-blind ablation of IRM: the same model, data and schedule,
# with the instruction branch removed (image features only; no editing
# transformer, no image instruction encoder). The text encoder stays for the
# t2i captions.
_base_ = ['./irm_vit-tiny_synth-omnireid-tiny.py']

model = dict(instruction_blind=True)
