import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmreid_instruct.registry import DATASETS
from mmreid_instruct.utils.captions import clean_caption
from mmreid_instruct.utils.tasks import IMAGE_INSTRUCTION_TASKS, normalize_task
from .base_reid_dataset import BaseReIDDataset
from .utils import (MISSING_CAMID, fixed_instruction, infer_modality,
                    join_root, load_json, read_lines, to_int)

#: Instruction ref that marks a gallery image row in official ``t2i`` lists.
T2I_GALLERY_PLACEHOLDER = '001_1_c5_015874.png'


@DATASETS.register_module()
class OmniReIDList(BaseReIDDataset):
    """A dataset read from a list file in the official Instruct-ReID format.

    Each non-blank line is ``<image> <instruction ref> <pid> <clothes id>
    [<camera id>]``, separated by spaces, with paths relative to
    ``data_root``. What the instruction ref means depends on the task:

    - ``trad`` (``sc``), ``vi`` (``cross``): an unused placeholder; the
      instruction is the task's fixed text.
    - ``cc``: a clothes image, kept as ``instruction_img_path``; the
      instruction is the fixed ``cc`` text.
    - ``ctcc``: a garment template image, kept as ``instruction_img_path``;
      no instruction text.
    - ``li`` (``attr``): a key of the caption JSON; the instruction is the
      caption.
    - ``t2i``: rows whose ref is :data:`T2I_GALLERY_PLACEHOLDER` are gallery
      images; the others are captions (keys of the caption JSON). The query
      subset keeps the caption rows as text queries (``img_path`` None), the
      gallery subset the image rows, and the train subset every row as an
      image with its caption.

    Records keep the order of the list file (the user's order). Camera ids
    are taken as written plus ``camid_offset``; without a camera column,
    query rows get -1 and gallery rows -2, so no gallery item is filtered as
    a same-camera match. An image is infrared when its path says so (a
    folder or name token ``ir``, ``nir``, ``infrared`` or ``thermal``) or
    its camera is in ``ir_cameras``. This format also covers COCAS+ and any
    list a user writes, e.g. with ``tools/dataset_converters``.

    Args:
        data_root (str): Folder the paths of the list are relative to.
        list_file (str): The list file, relative to ``data_root`` unless
            absolute.
        task (str): The task of the list, in any spelling accepted by
            :func:`normalize_task`.
        subset (str): ``'train'``, ``'query'`` or ``'gallery'``. Defaults to
            ``'train'``.
        caption_file (str, optional): JSON object mapping instruction refs
            to captions, needed by ``li`` and ``t2i``; relative to
            ``data_root`` unless absolute. Defaults to ``captions.json``
            next to the list file.
        instruction_text (str, optional): Replaces the fixed instruction of
            ``trad``, ``cc`` or ``vi``. Defaults to the text of
            ``instruction_style``.
        instruction_style (str): Fixed instruction texts: ``'default'``
            (:data:`~mmreid_instruct.datasets.utils.DEFAULT_INSTRUCTIONS`)
            or ``'official'`` (those of the official code,
            :data:`~mmreid_instruct.datasets.utils.OFFICIAL_INSTRUCTIONS`).
            Defaults to ``'default'``.
        clean_captions (bool): Clean every instruction text (captions and
            fixed texts) as the official code does before tokenising
            (:func:`~mmreid_instruct.utils.captions.clean_caption`:
            lower case, punctuation deleted, at most 50 words). Defaults to
            False (texts as written).
        dataset_name (str): Name stored in every record. Defaults to
            ``'omnireid'``.
        check_files (bool): Check that every image and instruction image
            kept exists. Defaults to True.
        camid_offset (int): Added to every camera id read from the list,
            e.g. -1 for a list with 1-based cameras. Defaults to 0.
        ir_cameras (Sequence[int]): Camera ids (after the offset) whose
            images are infrared, for lists whose paths do not say so (e.g.
            SYSU-MM01 cameras 3 and 6 are ``(2, 5)``). Defaults to ().
        **kwargs: Other arguments of :class:`BaseReIDDataset`, e.g.
            ``pipeline``.

    Example:
        >>> import os, tempfile
        >>> root = tempfile.mkdtemp()
        >>> with open(os.path.join(root, 'query_sc.txt'), 'w') as f:
        ...     _ = f.write('images/0001_c2_0.jpg - 1 0 1\\n')
        >>> query = OmniReIDList(root, 'query_sc.txt', task='sc',
        ...                      subset='query', check_files=False,
        ...                      lazy_init=True)
        >>> record = query.load_data_list()[0]  # what the dataset holds
        >>> record['task'], record['camid'], record['instruction']
        ('trad', 1, 'do not change clothes')
    """

    DATA_HINT = (
        'OmniReID: download the annotation lists released with Instruct-ReID '
        '(the OmniReID datalist archive) and the images of each benchmark '
        'from its homepage, and put each benchmark under its task root, e.g. '
        'data/omnireid/market/{datalist,Market-1501}; the full tree is in '
        'docs/en/user_guides/dataset_prepare.md, section "The official '
        'OmniReID lists".')

    def __init__(self,
                 data_root: str,
                 list_file: str,
                 task: str,
                 subset: str = 'train',
                 caption_file: Optional[str] = None,
                 instruction_text: Optional[str] = None,
                 instruction_style: str = 'default',
                 clean_captions: bool = False,
                 dataset_name: str = 'omnireid',
                 check_files: bool = True,
                 camid_offset: int = 0,
                 ir_cameras: Sequence[int] = (),
                 **kwargs):
        self.task = normalize_task(task)
        self.list_file = join_root(data_root, list_file)
        if caption_file is None:  # next to the list file, already rooted
            self.caption_file = osp.join(
                osp.dirname(self.list_file), 'captions.json')
        else:
            self.caption_file = join_root(data_root, caption_file)
        self.clean_captions = bool(clean_captions)
        self.instruction_text = self._clean(
            fixed_instruction(self.task, instruction_text, instruction_style))
        self.check_files = check_files
        self.camid_offset = int(camid_offset)
        self.ir_cameras = frozenset(int(c) for c in ir_cameras)
        # Not passed through ``metainfo``: mmengine would try to read a
        # string there as a file.
        self._dataset_name = dataset_name
        super().__init__(data_root=data_root, subset=subset, **kwargs)
        self._metainfo['dataset_name'] = dataset_name

    @property
    def dataset_name(self) -> str:
        return self._dataset_name

    def load_data_list(self) -> List[dict]:
        """Read the list file.

        Returns:
            list[dict]: One record per kept row, in file order.
        """
        captions = (
            self._load_captions() if self.task in ('li', 't2i') else None)
        records = []
        for lineno, line in read_lines(self.list_file):
            where = f'{self.list_file}:{lineno}'
            record = self._parse_line(line, where, captions)
            if record is not None:
                records.append(record)
        return records

    def _load_captions(self) -> Dict[str, str]:
        what = (f'a JSON object mapping the instruction refs of '
                f'{self.list_file} to captions (set caption_file)')
        captions = load_json(self.caption_file, what)
        if not isinstance(captions, dict):
            raise ValueError(f'{self.caption_file}: expected {what}, got a '
                             f'{type(captions).__name__}.')
        return captions

    def _parse_line(self, line: str, where: str,
                    captions: Optional[Dict[str, str]]) -> Optional[dict]:
        fields = line.split()
        if len(fields) not in (4, 5):
            raise ValueError(
                f'{where}: expected "<image> <instruction ref> <pid> '
                f'<clothes id> [<camera id>]", got {len(fields)} fields: '
                f'{line!r}.')
        img, ref = fields[:2]
        pid = to_int(fields[2], where, 'pid')
        clothes_id = to_int(fields[3], where, 'clothes id')
        if len(fields) == 5:
            camid = to_int(fields[4], where, 'camera id') + self.camid_offset
        else:
            camid = MISSING_CAMID[self.subset]

        instruction = self.instruction_text
        instruction_img = None
        if self.task in IMAGE_INSTRUCTION_TASKS:
            instruction_img = join_root(self.data_root, ref)
        elif self.task == 'li':
            instruction = self._caption(captions, ref, where)
        elif self.task == 't2i':
            is_image_row = ref == T2I_GALLERY_PLACEHOLDER
            if self.subset == 'query' and is_image_row or \
                    self.subset == 'gallery' and not is_image_row:
                return None
            instruction = (None if is_image_row else self._caption(
                captions, ref, where))
            if self.subset == 'query':
                img = None

        img_path = join_root(self.data_root, img)
        if self.check_files:
            for path in (img_path, instruction_img):
                if path is not None and not osp.isfile(path):
                    raise FileNotFoundError(
                        f'{where}: listed image {path} does not exist.')
        modality = 'rgb'
        if camid in self.ir_cameras or \
                img is not None and infer_modality(img) == 'ir':
            modality = 'ir'
        return self.new_record(
            img_path=img_path,
            pid=pid,
            camid=camid,
            clothes_id=clothes_id,
            modality=modality,
            task=self.task,
            instruction=instruction,
            instruction_img_path=instruction_img)

    def _caption(self, captions: Dict[str, str], key: str, where: str) -> str:
        if key not in captions:
            raise ValueError(f'{where}: caption key {key!r} is not in '
                             f'{self.caption_file}.')
        caption = captions[key]
        if not isinstance(caption, str) or not caption.strip():
            raise ValueError(f'{where}: caption {key!r} in '
                             f'{self.caption_file} must be a non-empty '
                             f'string, got {caption!r}.')
        return self._clean(caption)

    def _clean(self, text: Optional[str]) -> Optional[str]:
        """``text`` cleaned when ``clean_captions``, else as it is."""
        if text is None or not self.clean_captions:
            return text
        return clean_caption(text)
