import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel

from mmreid_instruct.registry import MODELS
from mmreid_instruct.structures import ReIDDataSample
from ..utils import backbone_tokens, build_data_preprocessor, width_projection


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
    CLS token g and patch tokens, an instruction encoder encodes the
    instruction into tokens and its CLS embedding ``instr_cls``, the
    ``fusion`` (:class:`EditingFusion`) turns both into u and v, and the
    ``head`` (:class:`InstructReIDHead`) computes the losses and the
    retrieval feature. A batch holds one task; the instruction images
    (``instruction_img``) go to ``image_instruction_encoder`` when every
    sample has one, else the instruction texts go to ``text_encoder``. A
    ``t2i`` batch goes to ``t2i_head``: images give image embeddings,
    caption-only batches (``inputs`` None, the caption in ``instruction``)
    text embeddings. How and why: ``docs/en/advanced_guides/irm.md``.

    ``instruction_blind=True`` builds the ablation without the instruction
    branch: no fusion, no image instruction encoder, the head on g alone;
    ``text_encoder`` is then built only for the t2i captions.

    Args:
        backbone (dict): Image backbone returning tokens with the CLS first,
            e.g. mmpretrain's ``VisionTransformer`` with ``out_type='raw'``
            (a tuple whose last item is (B, 1 + N, C)).
        text_encoder (dict): :class:`TextInstructionEncoder` config.
        fusion (dict | None): :class:`EditingFusion` config (None only when
            ``instruction_blind``); ``img_dims`` and ``instr_dims`` default
            to the backbone's and text encoder's widths.
        head (dict): :class:`InstructReIDHead` config; ``in_channels``
            defaults to the backbone's width and ``fusion_channels`` is the
            fusion's width (None when ``instruction_blind``).
        image_instruction_encoder (dict, optional):
            :class:`ImageInstructionEncoder` config, for ctcc. Defaults to
            None.
        t2i_head (dict, optional): :class:`T2IHead` or
            :class:`ALBEFT2IHead` config; its ``img_channels`` and
            ``text_channels`` default to the encoders' widths. A head with
            ``bind_text_encoder`` is bound to ``text_encoder``; a head with
            ``uses_tokens`` gets the image tokens and the caption texts
            instead of the two CLS features. Defaults to None (no t2i).
        instruction_blind (bool): The ablation above. Defaults to False.
        data_preprocessor (dict | nn.Module, optional): Defaults to None
            (``ReIDDataPreprocessor``).
        init_cfg (dict, optional): Initialisation config.

    Example:
        >>> vit = dict(type='mmpretrain.VisionTransformer', out_type='raw',
        ...            arch=dict(embed_dims=32, num_layers=1, num_heads=2,
        ...                      feedforward_channels=64),
        ...            img_size=(32, 16), patch_size=8)
        >>> bert = dict(hidden_size=16, num_hidden_layers=1,
        ...             num_attention_heads=2, intermediate_size=32)
        >>> model = MODELS.build(dict(
        ...     type='InstructReID', backbone=vit,
        ...     text_encoder=dict(type='TextInstructionEncoder', config=bert),
        ...     fusion=dict(type='EditingFusion', num_heads=2),
        ...     head=dict(type='InstructReIDHead', num_classes=10)))
        >>> samples = [ReIDDataSample().set_task('cc').set_instruction(text)
        ...            for text in ('ignore clothes', 'a red coat')]
        >>> g, u, v = model(torch.randn(2, 3, 32, 16), samples, mode='tensor')
        >>> g.shape, u.shape, model.head.out_channels
        (torch.Size([2, 32]), torch.Size([2, 32]), 64)
    """

    def __init__(self,
                 backbone: dict,
                 text_encoder: Optional[dict],
                 fusion: Optional[dict],
                 head: dict,
                 image_instruction_encoder: Optional[dict] = None,
                 t2i_head: Optional[dict] = None,
                 instruction_blind: bool = False,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=build_data_preprocessor(data_preprocessor),
            init_cfg=init_cfg)
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
            if getattr(self.fusion, 'tie_to_backbone_blocks', None):
                self.fusion.tie_blocks(getattr(self.backbone, 'layers', None))
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
        head.setdefault('in_channels', img_dims)
        head['fusion_channels'] = self._head_fusion_channels(head, fusion_dims)
        self.head = MODELS.build(head)

        self.t2i_head = None
        if t2i_head is not None:
            t2i_head = copy.deepcopy(t2i_head)
            t2i_head.setdefault('img_channels', img_dims)
            t2i_head.setdefault('text_channels',
                                _width(self.text_encoder, 'text_encoder'))
            self.t2i_head = MODELS.build(t2i_head)
            if hasattr(self.t2i_head, 'bind_text_encoder'):
                self.t2i_head.bind_text_encoder(self.text_encoder)

    @staticmethod
    def _head_fusion_channels(head: dict,
                              fusion_dims: Optional[int]) -> Optional[int]:
        """The head's ``fusion_channels``: the fusion's output width, None
        without fusion; a config may repeat it but not contradict it."""
        given = head.get('fusion_channels', fusion_dims)
        if given != fusion_dims:
            raise ValueError(
                f'model.head.fusion_channels={given} contradicts the model, '
                f'whose fusion outputs {fusion_dims} channels (None: '
                'instruction_blind=True, no fusion); leave it out, '
                'InstructReID sets it')
        return fusion_dims

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
            dict: ``instr_tokens`` (B, 1 + L, fusion.instr_dims), projected;
            ``instr_mask`` (B, 1 + L) bool, True = valid; ``instr_cls``
            (B, C'), the encoder's CLS embedding before projection.
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
            instr_tokens=proj(out['tokens']),
            instr_mask=out['mask'],
            instr_cls=out['cls'])

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
        u, v = self.fusion(tokens, instr['instr_tokens'], instr['instr_mask'])
        return g, u, v, instr['instr_cls']

    @staticmethod
    def _captions(data_samples) -> List[str]:
        texts = [s.get('instruction') for s in data_samples]
        if any(t is None for t in texts):
            raise ValueError('every t2i caption sample needs its caption '
                             "in 'instruction'")
        return texts

    def _caption_cls(self, data_samples) -> torch.Tensor:
        return self.text_encoder(self._captions(data_samples))['cls']

    def itm_scores(self, text_tokens: torch.Tensor, text_mask: torch.Tensor,
                   image_tokens: torch.Tensor) -> torch.Tensor:
        """Image-text matching scores of (caption, image) pairs, for the
        re-ranking of ``T2IMetric``.

        Args:
            text_tokens (Tensor): (n, L, C) caption tokens (``pred_tokens``
                of caption queries).
            text_mask (Tensor): (n, L) bool, True for real tokens.
            image_tokens (Tensor): (n, 1 + N, Ci) image tokens
                (``pred_tokens`` of gallery images).

        Returns:
            Tensor: (n,) scores, higher for a better match.
        """
        self._check_t2i()
        if not hasattr(self.t2i_head, 'itm_score'):
            raise ValueError(
                f'the t2i head {type(self.t2i_head).__name__} has no image-'
                "text matching (itm_score); use type='ALBEFT2IHead' or turn "
                'the re-ranking of T2IMetric off (rerank=None)')
        return self.t2i_head.itm_score(text_tokens, text_mask, image_tokens)

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
        if mode != 'tensor' and getattr(self.t2i_head, 'uses_tokens', False):
            return self._forward_t2i_tokens(inputs, data_samples, mode)
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

    def _forward_t2i_tokens(self, inputs, data_samples, mode):
        """Loss and predict modes of a t2i head that takes the image tokens
        and the caption texts (``uses_tokens``)."""
        if mode == 'loss':
            return self.t2i_head.loss(
                self.image_tokens(inputs), self._captions(data_samples),
                data_samples)
        if inputs is None:
            return self.t2i_head.predict(None, self._captions(data_samples),
                                         data_samples)
        return self.t2i_head.predict(
            self.image_tokens(inputs), None, data_samples)
