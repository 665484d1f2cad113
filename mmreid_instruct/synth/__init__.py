"""SynthOmniReID generator: a procedural benchmark for the six Instruct-ReID
tasks, written as files in the official list format.

The dataset class that reads (and, on first use, generates) it is
:class:`mmreid_instruct.datasets.SynthOmniReID`.
"""
from .generator import (GENERATOR_VERSION, generate_synth_omnireid,
                        meta_differences, read_meta)
from .layout import PLACEHOLDER, T2I_GALLERY_PLACEHOLDER
from .presets import MICRO_OVERRIDES, PRESETS, resolve_preset

__all__ = [
    'generate_synth_omnireid', 'read_meta', 'meta_differences', 'PRESETS',
    'MICRO_OVERRIDES', 'resolve_preset', 'GENERATOR_VERSION', 'PLACEHOLDER',
    'T2I_GALLERY_PLACEHOLDER'
]
