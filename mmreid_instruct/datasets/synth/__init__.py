"""SynthOmniReID: a procedural benchmark for the six Instruct-ReID tasks."""
from .generator import GENERATOR_VERSION, generate_synth_omnireid, read_meta
from .layout import PLACEHOLDER, T2I_GALLERY_PLACEHOLDER
from .presets import PRESETS, resolve_preset

__all__ = [
    'generate_synth_omnireid', 'read_meta', 'PRESETS', 'resolve_preset',
    'GENERATOR_VERSION', 'PLACEHOLDER', 'T2I_GALLERY_PLACEHOLDER'
]
