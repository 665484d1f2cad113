"""File names of SynthOmniReID and the registry of what must be written.

The task splits ask :class:`Assets` for the path of an image, clothes crop
or garment template and for the key of a caption; :class:`Assets` answers
with the name and remembers the request, so that the generator renders
exactly what the lists refer to.

Layout (paths relative to the dataset root)::

    images/rgb/<pid>/<pid>_o<cid>_c<cam>_<k>.png       RGB person images
    images/ir/<pid>/<pid>_o<cid>_c<cam>_<k>_ir.png     infrared images
    clothes/crops/<pid>/<stem of the image>.png         upper-body crops
    clothes/templates/o<cid>.png                        garment templates
    datalist/{train,query,gallery}_<task>.txt           list files
    datalist/captions.json                              caption texts
    meta.json                                           preset and counts
"""
from dataclasses import dataclass
from typing import Dict, Set, Tuple

#: Instruction ref of the tasks whose instruction is a fixed text.
PLACEHOLDER = 'none'

#: Instruction ref that marks the gallery rows of official ``t2i`` lists.
T2I_GALLERY_PLACEHOLDER = '001_1_c5_015874.png'

#: Where list files and the caption file live.
DATALIST_DIR = 'datalist'
CAPTION_FILE = 'datalist/captions.json'
META_FILE = 'meta.json'


@dataclass(frozen=True, order=True)
class ImageKey:
    """Names one person image.

    Args:
        pid (int): Identity.
        slot (int): Wardrobe slot of the outfit worn (0: main outfit).
        cam (int): Camera id.
        k (int): Index of the image among those of (pid, slot, cam).
        modality (str): ``'rgb'`` or ``'ir'``.
    """
    pid: int
    slot: int
    cam: int
    k: int
    modality: str = 'rgb'


def list_file(subset: str, task: str) -> str:
    """Path of a list file, e.g. ``datalist/query_li.txt``."""
    return f'{DATALIST_DIR}/{subset}_{task}.txt'


class Assets:
    """Names files and caption keys and records which are needed.

    Args:
        wardrobes (dict[int, tuple[int]]): Clothes ids of each pid by slot,
            used to put the clothes id into image names.
    """

    def __init__(self, wardrobes: Dict[int, Tuple[int, ...]]):
        self.wardrobes = wardrobes
        self.images: Set[ImageKey] = set()
        self.crops: Set[ImageKey] = set()
        self.templates: Set[int] = set()
        self.descriptions: Set[Tuple[int, int]] = set()
        self.captions: Set[Tuple[ImageKey, int]] = set()

    def stem(self, key: ImageKey) -> str:
        cid = self.wardrobes[key.pid][key.slot]
        suffix = '_ir' if key.modality == 'ir' else ''
        return f'{key.pid:04d}_o{cid:05d}_c{key.cam}_{key.k}{suffix}'

    def image(self, key: ImageKey) -> str:
        """Path of a person image."""
        self.images.add(key)
        return f'images/{key.modality}/{key.pid:04d}/{self.stem(key)}.png'

    def crop(self, key: ImageKey) -> str:
        """Path of the upper-body crop of an RGB image."""
        if key.modality != 'rgb':
            raise ValueError(f'Clothes crops come from RGB images, got '
                             f'{key}.')
        self.images.add(key)
        self.crops.add(key)
        return f'clothes/crops/{key.pid:04d}/{self.stem(key)}.png'

    def template(self, cid: int) -> str:
        """Path of the garment template of a clothes id."""
        self.templates.add(cid)
        return f'clothes/templates/o{cid:05d}.png'

    def description(self, cid: int, variant: int) -> str:
        """Caption key of a description of a clothes id (``li``)."""
        self.descriptions.add((cid, variant))
        return f'li_o{cid:05d}_{variant}'

    def caption(self, key: ImageKey, variant: int) -> str:
        """Caption key of a caption of a person image (``t2i``)."""
        self.captions.add((key, variant))
        return f't2i_{self.stem(key)}_{variant}'
