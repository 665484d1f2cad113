"""The six tasks of instruction-guided ReID and their spellings."""

#: Task keys used everywhere in the library, in canonical order.
TASKS = ('trad', 'cc', 'ctcc', 'li', 'vi', 't2i')

#: Spellings accepted for each task; the official Instruct-ReID code uses
#: ``sc`` (traditional), ``cross`` (visible-infrared) and ``attr``
#: (language-instructed).
TASK_ALIASES = {
    'trad': 'trad',
    'sc': 'trad',
    'traditional': 'trad',
    'cc': 'cc',
    'clothes_changing': 'cc',
    'ctcc': 'ctcc',
    'clothes_template': 'ctcc',
    'li': 'li',
    'attr': 'li',
    'language': 'li',
    'vi': 'vi',
    'cross': 'vi',
    'visible_infrared': 'vi',
    't2i': 't2i',
    'text_to_image': 't2i',
}

#: Modalities of an image.
MODALITIES = ('rgb', 'ir')

#: Tasks whose instruction names the target outfit: a true match must also
#: wear it.
CLOTHES_MATCHING_TASKS = ('li', 'ctcc')

#: Tasks whose instruction, in the official list format, is a clothes
#: image (the other tasks' instructions are texts).
IMAGE_INSTRUCTION_TASKS = ('cc', 'ctcc')

#: Visible-infrared search directions: the query modality and the gallery
#: modality of each. ``'ir2vis'`` queries with infrared images against
#: visible ones; ``'vis2ir'`` swaps them.
VI_DIRECTIONS = {'ir2vis': ('ir', 'rgb'), 'vis2ir': ('rgb', 'ir')}


def normalize_task(name):
    """Return the canonical key of a task name.

    Args:
        name (str): A task name in any accepted spelling, e.g. ``'sc'`` or
            ``'trad'`` (case-insensitive).

    Returns:
        str: One of :data:`TASKS`.

    Example:
        >>> normalize_task('attr')
        'li'
    """
    key = str(name).strip().lower().replace('-', '_')
    if key not in TASK_ALIASES:
        raise ValueError(
            f'Unknown task {name!r}: expected one of '
            f'{sorted(TASK_ALIASES)} (canonical keys {list(TASKS)}).')
    return TASK_ALIASES[key]
