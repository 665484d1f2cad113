# The instruction-blind ablation of IRM on SynthOmniReID `small` (see
# irm-blind_vit-tiny_synth-omnireid-tiny.py).
_base_ = ['./irm_vit-tiny_synth-omnireid-small.py']

model = dict(instruction_blind=True)
