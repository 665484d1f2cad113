import copy
import zlib
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_gather
from mmengine.model import BaseModule

from mmreid_instruct.registry import MODELS
from mmreid_instruct.structures import ReIDDataSample
from ..utils import (build_optional_neck, fp32_forward, mask_tokens,
                     replaced_token_labels)
from ..utils.token_masking import IGNORE_INDEX

#: Directions of the image-text contrastive loss.
DIRECTIONS = ('i2t', 't2i', 'i2i', 't2t')


def identity_keys(data_samples: Sequence[ReIDDataSample],
                  device=None) -> torch.Tensor:
    """The identity of each sample as one int64 key: the ``pid`` in the low
    32 bits and a checksum of the ``dataset_name`` above them, so that equal
    pids of two training lists (relabelled from 0 each) are different
    identities in the contrastive queue.

    Args:
        data_samples (Sequence[ReIDDataSample]): Samples with ``pid`` and,
            optionally, ``dataset_name`` in the metainfo.
        device (str | torch.device, optional): Where to put the keys.

    Returns:
        Tensor: (B,) int64 keys, >= 0.

    Example:
        >>> a = ReIDDataSample(metainfo=dict(dataset_name='a')).set_pid(3)
        >>> b = ReIDDataSample(metainfo=dict(dataset_name='b')).set_pid(3)
        >>> keys = identity_keys([a, a, b])
        >>> keys[0] == keys[1], keys[0] == keys[2], int(keys[0] % 2**32)
        (tensor(True), tensor(False), 3)
    """
    keys = []
    for sample in data_samples:
        pid = sample.pid
        if not 0 <= pid < 2**32:
            raise ValueError('ALBEFT2IHead needs training pids in [0, 2^32), '
                             f'got {pid}')
        name = sample.metainfo.get('dataset_name')
        group = 0 if name is None else zlib.crc32(str(name).encode()) >> 2
        keys.append(group * 2**32 + pid)
    return torch.tensor(keys, dtype=torch.long, device=device)


def sample_hard_negatives(
        sim_i2t: torch.Tensor, sim_t2i: torch.Tensor,
        keys: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Draw one hard negative per row for image-text matching, as ALBEF:
    an image for each text with the probabilities
    ``softmax(sim_t2i[i])`` and a text for each image with
    ``softmax(sim_i2t[i])``, the entries of the row's identity set to 0
    (one ``torch.multinomial`` draw each, images first, from torch's global
    random generator). A row whose probabilities all underflow to 0 draws
    uniformly among the other identities.

    Args:
        sim_i2t (Tensor): (B, B) image-to-text logits of the batch.
        sim_t2i (Tensor): (B, B) text-to-image logits of the batch.
        keys (Tensor): (B,) identity of each row.

    Returns:
        tuple[Tensor, Tensor]: ``(neg_image, neg_text)``, (B,) indices: the
        negative image of each text and the negative text of each image.

    Example:
        >>> sim = torch.zeros(3, 3)
        >>> neg_image, neg_text = sample_hard_negatives(
        ...     sim, sim, torch.tensor([0, 0, 1]))
        >>> neg_image[:2].tolist()  # rows 0, 1: the other identity is 2
        [2, 2]
        >>> neg_text[2].item() in (0, 1)
        True
    """
    same = keys[:, None] == keys[None]
    if not (~same).any(dim=1).all():
        raise ValueError(
            'ALBEFT2IHead: image-text matching draws its negatives from the '
            'other identities of the t2i batch, but this batch has a single '
            'identity; sample several identities per t2i batch')
    with torch.no_grad():
        weights = []
        for sim in (sim_t2i, sim_i2t):
            w = sim.detach().float().softmax(dim=1).masked_fill(same, 0.)
            dead = w.sum(dim=1) == 0
            if dead.any():
                w[dead] = (~same[dead]).float()
            weights.append(w)
    neg_image = torch.multinomial(weights[0], 1).flatten()
    neg_text = torch.multinomial(weights[1], 1).flatten()
    return neg_image, neg_text


@MODELS.register_module()
class ALBEFT2IHead(BaseModule):
    """Text-to-image head trained the ALBEF way, as the official Instruct-ReID
    code trains its t2i branch: image-text contrast (ITC) against queues with
    momentum distillation, image-text matching (ITM) with hard negatives,
    masked language modelling (MLM) with soft labels and momentum-based
    replaced-token detection (MRTD); total
    ``0.5 ITC + ITM + MLM + 0.5 MRTD`` with the default weights.

    The text side is the model's text encoder (the text layers, bound with
    :meth:`bind_text_encoder`) followed by the ``fusion_encoder``
    (:class:`CrossModalEncoder`, the multimodal layers, with cross-attention
    to the image tokens, i.e. the backbone's CLS and patch tokens). Image and
    caption embeddings are the normalised projections ``img_proj`` and
    ``text_proj`` of the image CLS and the caption CLS. Momentum (EMA) copies
    of the text encoder, ``fusion_encoder``, ``mlm_head`` and ``text_proj``
    give the soft targets; there is no momentum image encoder (the online
    image embedding, detached, serves as in the official code). The EMA runs
    at the start of each training forward; parameters of the text encoder
    that do not require gradients (a frozen encoder) are copied instead, so
    the copy stays equal to them, and a frozen encoder's outputs then serve
    as the momentum ones (one pass instead of two). The queues hold the
    image embeddings, the momentum caption embeddings and the identities of
    the last ``queue_size`` training samples, gathered from every rank; all
    of it, like the momentum copies, is in the state dict, so resuming is
    exact.

    Differences from the official code: the identity of a queue entry is the
    pid together with the dataset name (two training lists do not share
    identities); the masking never picks [SEP]; vocabulary logits are only
    computed where a loss reads them (the same values).

    At test time an image sample gets ``pred_feature`` (its normalised
    embedding) and, with ``keep_tokens``, ``pred_tokens`` (1 + N, Ci); a
    caption query gets ``pred_feature``, ``pred_tokens`` (L, C), the output
    of the text layers, and ``pred_token_mask`` (L,) bool, True for real
    tokens. :meth:`itm_score` scores (caption, image) pairs from these
    tokens for the re-ranking of ``T2IMetric``.

    Args:
        img_channels (int): Width of the image tokens.
        text_channels (int): Width of the text encoder's tokens.
        embed_dims (int): Width of the shared embedding space. Defaults to
            256.
        fusion_encoder (dict): :class:`CrossModalEncoder` config;
            ``embed_dims`` and ``encoder_dims`` default to ``text_channels``
            and ``img_channels``. Defaults to
            ``dict(type='CrossModalEncoder')``.
        mlm_head (dict): :class:`MaskedLMHead` config; ``embed_dims``,
            ``vocab_size`` and ``layer_norm_eps`` default to the text
            encoder's (it is built by :meth:`bind_text_encoder`). Defaults to
            ``dict(type='MaskedLMHead')``.
        queue_size (int): Entries of the queues. Defaults to 65536.
        momentum (float): EMA coefficient of the momentum copies. Defaults
            to 0.995.
        temperature (float): Initial value of the learnable temperature.
            Defaults to 0.07.
        temperature_range (tuple[float, float], optional): Clamp the
            temperature into this range before each training forward (the
            original ALBEF uses (0.001, 0.5)). Defaults to None (no clamp, as
            the official Instruct-ReID code).
        mlm_probability (float): Masking probability of MLM. Defaults to
            0.15.
        mrtd_probability (float): Masking probability of the MRTD generator
            input. Defaults to 0.3.
        loss_itc (dict): Contrastive loss, called as
            ``loss(sims, momentum_sims, pos_mask)``. Defaults to
            ``MomentumContrastiveLoss`` with ``loss_weight=0.5``.
        loss_mlm (dict): MLM loss, called as
            ``loss(logits, labels, soft_labels)``. Defaults to
            ``SoftMaskedLMLoss`` with ``loss_weight=1.0``.
        itm_loss_weight (float): Weight of the ITM cross-entropy. Defaults
            to 1.0.
        mrtd_loss_weight (float): Weight of the MRTD cross-entropy.
            Defaults to 0.5.
        img_neck (dict, optional): A neck between the image CLS and
            ``img_proj`` (the contrastive image embedding), built with
            ``in_channels=img_channels``, e.g. ``dict(type='BNNeck')``; see
            :class:`T2IHead`. The ITM and MLM paths read the image tokens as
            they are (see ``img_token_neck``). Defaults to None.
        img_token_neck (dict, optional): A neck applied to every image token
            (CLS and patches, pooled over the batch and the tokens) before
            the cross-modal layers read them, in the ITM, MLM and MRTD losses
            and in the ITM re-rank (``predict`` keeps the tokens after it),
            built with ``in_channels=img_channels``, e.g.
            ``dict(type='BNNeck')``. A ViT trained from scratch can give
            every image almost the same tokens; the cross-attention then
            sees a small image-dependent part on a large common one.
            Defaults to None (the tokens as they are, as in ALBEF).
        keep_tokens (bool): Keep image tokens in ``predict`` (the re-ranking
            needs them). Defaults to True.
        init_cfg (dict, optional): Initialisation config.

    Example:
        >>> from mmreid_instruct.models import TextInstructionEncoder
        >>> text_encoder = TextInstructionEncoder(config=dict(
        ...     hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        ...     intermediate_size=32))
        >>> head = ALBEFT2IHead(
        ...     img_channels=8, text_channels=16, embed_dims=4,
        ...     fusion_encoder=dict(type='CrossModalEncoder', num_layers=1,
        ...                         num_heads=2, feedforward_channels=32),
        ...     queue_size=8)
        >>> head.bind_text_encoder(text_encoder)
        >>> samples = [ReIDDataSample().set_pid(p) for p in (0, 0, 1)]
        >>> losses = head.loss(torch.randn(3, 5, 8),
        ...                    ['a red coat', 'red coat', 'blue jeans'],
        ...                    samples)
        >>> sorted(losses), int(head.queue_ptr)
        (['loss_itc', 'loss_itm', 'loss_mlm', 'loss_mrtd'], 3)
    """

    #: InstructReID passes image tokens and caption texts to this head.
    uses_tokens = True
    #: Every rank must run the t2i batches of an iteration (the queues are
    #: all-gathered).
    needs_all_ranks = True

    def __init__(self,
                 img_channels: int,
                 text_channels: int,
                 embed_dims: int = 256,
                 fusion_encoder: dict = dict(type='CrossModalEncoder'),
                 mlm_head: dict = dict(type='MaskedLMHead'),
                 queue_size: int = 65536,
                 momentum: float = 0.995,
                 temperature: float = 0.07,
                 temperature_range: Optional[Tuple[float, float]] = None,
                 mlm_probability: float = 0.15,
                 mrtd_probability: float = 0.3,
                 loss_itc: dict = dict(
                     type='MomentumContrastiveLoss', loss_weight=0.5),
                 loss_mlm: dict = dict(
                     type='SoftMaskedLMLoss', loss_weight=1.0),
                 itm_loss_weight: float = 1.0,
                 mrtd_loss_weight: float = 0.5,
                 keep_tokens: bool = True,
                 img_neck: Optional[dict] = None,
                 img_token_neck: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if not isinstance(queue_size, int) or queue_size < 1:
            raise ValueError(
                f'queue_size must be an int >= 1, got {queue_size!r}')
        if not 0 <= momentum <= 1:
            raise ValueError(f'momentum must be in [0, 1], got {momentum}')
        if not temperature > 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.embed_dims = embed_dims
        self.text_channels = text_channels
        self.queue_size = queue_size
        self.momentum = momentum
        self.temperature_range = temperature_range
        self.mlm_probability = mlm_probability
        self.mrtd_probability = mrtd_probability
        self.itm_loss_weight = itm_loss_weight
        self.mrtd_loss_weight = mrtd_loss_weight
        self.keep_tokens = keep_tokens
        self.mlm_head_cfg = copy.deepcopy(mlm_head)

        self.img_neck = build_optional_neck(img_neck, img_channels)
        self.img_token_neck = build_optional_neck(img_token_neck, img_channels)
        self.img_proj = nn.Linear(img_channels, embed_dims)
        self.text_proj = nn.Linear(text_channels, embed_dims)
        self.temp = nn.Parameter(torch.tensor(float(temperature)))
        fusion_encoder = copy.deepcopy(fusion_encoder)
        fusion_encoder.setdefault('embed_dims', text_channels)
        fusion_encoder.setdefault('encoder_dims', img_channels)
        self.fusion_encoder = MODELS.build(fusion_encoder)
        width = self.fusion_encoder.embed_dims
        if width != text_channels:
            raise ValueError(
                f'fusion_encoder.embed_dims={width} must equal the text '
                f"encoder's width text_channels={text_channels}")
        self.itm_head = nn.Linear(width, 2)
        self.mrtd_head = nn.Linear(width, 2)
        self.loss_itc = MODELS.build(loss_itc)
        self.loss_mlm = MODELS.build(loss_mlm)

        self.register_buffer(
            'image_queue',
            F.normalize(torch.randn(embed_dims, queue_size), dim=0))
        self.register_buffer(
            'text_queue',
            F.normalize(torch.randn(embed_dims, queue_size), dim=0))
        self.register_buffer(
            'idx_queue', torch.full((1, queue_size), -100, dtype=torch.long))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))
        self.mlm_head = None
        self.momentum_text_encoder = self.momentum_fusion_encoder = None
        self.momentum_mlm_head = self.momentum_text_proj = None
        # The bound text encoder is not a child: the model owns it.
        object.__setattr__(self, '_text_encoder', None)
        self._fixed_versions = None

    # ------------------------------------------------------------- set-up
    def bind_text_encoder(self, text_encoder: nn.Module) -> None:
        """Use ``text_encoder`` (a :class:`TextInstructionEncoder`) as the
        text layers, and build the MLM head and the momentum copies.

        The encoder stays the caller's module (not a child of this head, so
        its parameters are saved once, under the caller's name).

        Args:
            text_encoder (nn.Module): With ``tokenizer``, ``tokenize()``,
                ``encoder`` (the Hugging Face model) and ``forward`` taking
                a mapping of ``input_ids`` and ``attention_mask``.
        """
        if self.mlm_head is not None:
            raise RuntimeError('ALBEFT2IHead.bind_text_encoder was already '
                               'called')
        hf_model = getattr(text_encoder, 'encoder', None)
        config = getattr(hf_model, 'config', None)
        if config is None or not hasattr(text_encoder, 'tokenize'):
            raise TypeError(
                'ALBEFT2IHead needs a TextInstructionEncoder-like text '
                'encoder (tokenize() and a Hugging Face model in .encoder), '
                f'got {type(text_encoder).__name__}')
        if config.hidden_size != self.text_channels:
            raise ValueError(
                f'the text encoder is {config.hidden_size} wide but the head '
                f'has text_channels={self.text_channels}')
        tokenizer = text_encoder.tokenizer
        for name in ('pad', 'cls', 'mask'):
            if getattr(tokenizer, f'{name}_token_id') is None:
                raise ValueError(f'ALBEFT2IHead needs a tokenizer with a '
                                 f'[{name.upper()}] token')
        object.__setattr__(self, '_text_encoder', text_encoder)
        mlm_head = copy.deepcopy(self.mlm_head_cfg)
        mlm_head.setdefault('embed_dims', config.hidden_size)
        mlm_head.setdefault('vocab_size', config.vocab_size)
        mlm_head.setdefault('layer_norm_eps',
                            getattr(config, 'layer_norm_eps', 1e-12))
        self.mlm_head = MODELS.build(mlm_head)
        self.momentum_text_encoder = copy.deepcopy(hf_model)
        self.momentum_fusion_encoder = copy.deepcopy(self.fusion_encoder)
        self.momentum_mlm_head = copy.deepcopy(self.mlm_head)
        self.momentum_text_proj = copy.deepcopy(self.text_proj)
        for _, momentum in self._momentum_pairs():
            momentum.requires_grad_(False)
            # Their weights are copied from the online modules in
            # init_weights; initialising them would be wasted work.
            momentum.is_init = True
        self.train(self.training)

    @property
    def text_encoder(self) -> nn.Module:
        """The bound text encoder (see :meth:`bind_text_encoder`)."""
        if self._text_encoder is None:
            raise RuntimeError(
                'ALBEFT2IHead has no text encoder: call bind_text_encoder() '
                '(InstructReID does it when it builds the head)')
        return self._text_encoder

    def _momentum_pairs(self) -> List[Tuple[nn.Module, nn.Module]]:
        return [(self.text_encoder.encoder, self.momentum_text_encoder),
                (self.fusion_encoder, self.momentum_fusion_encoder),
                (self.mlm_head, self.momentum_mlm_head),
                (self.text_proj, self.momentum_text_proj)]

    def _frozen_text(self) -> bool:
        return bool(getattr(self.text_encoder, 'frozen', False))

    @torch.no_grad()
    def copy_to_momentum(self) -> None:
        """Set every momentum copy equal to its online module."""
        for online, momentum in self._momentum_pairs():
            for p, p_m in zip(online.parameters(), momentum.parameters()):
                p_m.copy_(p)

    def init_weights(self):
        """Initialise the children, then copy them into the momentum
        modules, so that training starts with momentum == online; a
        ``Pretrained`` ``init_cfg`` gives the momentum modules their own
        weights (an ALBEF checkpoint holds both) and nothing is copied."""
        super().init_weights()
        cfgs = self.init_cfg if isinstance(self.init_cfg, list) else \
            [self.init_cfg]
        pretrained = any(
            isinstance(c, dict) and c.get('type') == 'Pretrained'
            for c in cfgs)
        if self._text_encoder is not None and not pretrained:
            self.copy_to_momentum()

    def train(self, mode: bool = True):
        """Set the train mode; the momentum copy of a frozen text encoder
        stays in eval mode, like the encoder."""
        super().train(mode)
        text_encoder = self._text_encoder
        if text_encoder is not None and getattr(text_encoder, 'frozen', False):
            self.momentum_text_encoder.eval()
        return self

    @torch.no_grad()
    def momentum_update(self) -> None:
        """One EMA step: ``p_m = momentum * p_m + (1 - momentum) * p`` for
        every online parameter ``p`` that requires gradients; the others
        are copied (only when either side changed since the last copy)."""
        moving, online_moving, fixed, online_fixed = [], [], [], []
        for online, momentum in self._momentum_pairs():
            for p, p_m in zip(online.parameters(), momentum.parameters()):
                if p.requires_grad:
                    moving.append(p_m)
                    online_moving.append(p.detach())
                else:
                    fixed.append(p_m)
                    online_fixed.append(p.detach())
        if moving:
            torch._foreach_mul_(moving, self.momentum)
            torch._foreach_add_(
                moving, online_moving, alpha=1. - self.momentum)
        # In-place writes (optimizer steps, load_state_dict) bump _version.
        versions = [t._version for t in (*fixed, *online_fixed)]
        if fixed and versions != self._fixed_versions:
            torch._foreach_copy_(fixed, online_fixed)
            self._fixed_versions = [
                t._version for t in (*fixed, *online_fixed)
            ]

    @torch.no_grad()
    def dequeue_and_enqueue(self, image_feat: torch.Tensor,
                            text_feat: torch.Tensor,
                            keys: torch.Tensor) -> None:
        """Write a batch (gathered from every rank) into the ring-buffer
        queues at ``queue_ptr`` and advance the pointer.

        Args:
            image_feat (Tensor): (B, embed_dims) image embeddings.
            text_feat (Tensor): (B, embed_dims) momentum text embeddings.
            keys (Tensor): (B,) identities.
        """
        image_feat, text_feat, keys = (
            torch.cat(all_gather(t.detach().contiguous()))
            for t in (image_feat, text_feat, keys))
        n = keys.shape[0]
        if n > self.queue_size:
            raise ValueError(
                f'ALBEFT2IHead: queue_size={self.queue_size} is smaller than '
                f'the t2i batch of all ranks ({n} samples); raise queue_size')
        ptr = int(self.queue_ptr)
        cols = (torch.arange(n, device=keys.device) + ptr) % self.queue_size
        self.image_queue[:, cols] = image_feat.t().to(self.image_queue.dtype)
        self.text_queue[:, cols] = text_feat.t().to(self.text_queue.dtype)
        self.idx_queue[0, cols] = keys
        self.queue_ptr[0] = (ptr + n) % self.queue_size

    # ------------------------------------------------------------ encoders
    def embed_image(self, img_cls: torch.Tensor) -> torch.Tensor:
        """(B, img_channels) -> (B, embed_dims), L2-normalised."""
        if self.img_neck is not None:
            img_cls = self.img_neck(img_cls)
        return F.normalize(self.img_proj(img_cls), dim=-1)

    def fusion_image_tokens(self, image_tokens: torch.Tensor) -> torch.Tensor:
        """(B, 1 + N, img_channels) image tokens as the cross-modal layers
        read them: through ``img_token_neck`` when there is one."""
        if self.img_token_neck is None:
            return image_tokens
        flat = self.img_token_neck(image_tokens.flatten(0, 1))
        return flat.view_as(image_tokens)

    def embed_text(self, text_cls: torch.Tensor) -> torch.Tensor:
        """(B, text_channels) -> (B, embed_dims), L2-normalised."""
        return F.normalize(self.text_proj(text_cls), dim=-1)

    def encode_texts(self, texts: Sequence[str],
                     device) -> Dict[str, torch.Tensor]:
        """Tokenize captions and run the text layers.

        Args:
            texts (Sequence[str]): Captions.
            device (str | torch.device): Device of the ids.

        Returns:
            dict: ``input_ids`` and ``attention_mask`` (B, L), ``tokens``
            (B, L, text_channels) and ``mask`` (B, L) bool.
        """
        encoded = self.text_encoder.tokenize(texts, device)
        out = self._text_layers(encoded['input_ids'],
                                encoded['attention_mask'])
        return dict(encoded, tokens=out, mask=encoded['attention_mask'].bool())

    def _text_layers(self, input_ids, attention_mask) -> torch.Tensor:
        return self.text_encoder(
            dict(input_ids=input_ids, attention_mask=attention_mask))['tokens']

    def _momentum_text_layers(self, input_ids, attention_mask,
                              online: torch.Tensor) -> torch.Tensor:
        """The momentum text layers' output; a frozen encoder's own output
        (``online``, computed on the same ids) stands for it."""
        if self._frozen_text():
            return online.detach()
        return self.momentum_text_encoder(
            input_ids=input_ids,
            attention_mask=attention_mask).last_hidden_state

    def itm_score(self, text_tokens: torch.Tensor, text_mask: torch.Tensor,
                  image_tokens: torch.Tensor) -> torch.Tensor:
        """Image-text matching logit of "match" for each (caption, image)
        pair.

        Args:
            text_tokens (Tensor): (n, L, text_channels) text-layer outputs.
            text_mask (Tensor): (n, L), True (1) for real tokens.
            image_tokens (Tensor): (n, 1 + N, img_channels), as
                :meth:`fusion_image_tokens` gives them (the ``pred_tokens``
                of :meth:`predict`).

        Returns:
            Tensor: (n,) scores, ``itm_head(fusion CLS)[:, 1]``.
        """
        fused = self.fusion_encoder(text_tokens, text_mask, image_tokens)
        return self.itm_head(fused[:, 0])[:, 1]

    # ------------------------------------------------------------- losses
    @fp32_forward
    def _contrastive_sims(self, image_feat: torch.Tensor,
                          text_feat: torch.Tensor, text_feat_m: torch.Tensor,
                          directions: Sequence[str]) -> Tuple[dict, dict]:
        """Online and momentum logits of each direction against the batch
        and the queues, in float32."""
        temp = self.temp
        with torch.no_grad():
            image_all = torch.cat([image_feat.t(), self.image_queue], dim=1)
            text_all = torch.cat([text_feat_m.t(), self.text_queue], dim=1)
            keys_of = dict(
                i2t=text_all, t2i=image_all, i2i=image_all, t2t=text_all)
            momentum_query = dict(
                i2t=image_feat,
                t2i=text_feat_m,
                i2i=image_feat,
                t2t=text_feat_m)
            momentum_sims = {
                d: momentum_query[d].detach() @ keys_of[d] / temp
                for d in directions
            }
        query = dict(
            i2t=image_feat, t2i=text_feat, i2i=image_feat, t2t=text_feat)
        sims = {d: query[d] @ keys_of[d] / temp for d in directions}
        return sims, momentum_sims

    def loss(
            self, image_tokens: torch.Tensor, texts: Sequence[str],
            data_samples: Sequence[ReIDDataSample]) -> Dict[str, torch.Tensor]:
        """The four losses of a batch of (image, caption) pairs.

        Args:
            image_tokens (Tensor): (B, 1 + N, img_channels) image tokens,
                CLS first.
            texts (Sequence[str]): The B captions.
            data_samples (Sequence[ReIDDataSample]): Samples with ``pid``.

        Returns:
            dict[str, Tensor]: ``loss_itc``, ``loss_itm``, ``loss_mlm`` and
            ``loss_mrtd``, weighted.
        """
        B = image_tokens.shape[0]
        if not len(texts) == len(data_samples) == B:
            raise ValueError(
                f'ALBEFT2IHead.loss: got {B} images, {len(texts)} captions '
                f'and {len(data_samples)} samples; expected one of each per '
                'pair')
        device = image_tokens.device
        if self.temperature_range is not None:
            with torch.no_grad():
                self.temp.clamp_(*self.temperature_range)
        self.momentum_update()
        keys = identity_keys(data_samples, device)

        text = self.encode_texts(texts, device)
        ids, att, text_mask = text['input_ids'], text['attention_mask'], \
            text['mask']
        image_feat = self.embed_image(image_tokens[:, 0])
        text_feat = self.embed_text(text['tokens'][:, 0])
        fusion_tokens = self.fusion_image_tokens(image_tokens)
        fusion_tokens_m = fusion_tokens.detach()
        with torch.no_grad():
            text_feat_m = F.normalize(
                self.momentum_text_proj(
                    self._momentum_text_layers(ids, att, text['tokens'])[:,
                                                                         0]),
                dim=-1)
            pos_mask = keys[:, None] == torch.cat([keys,
                                                   self.idx_queue[0]])[None]
        directions = tuple(
            d for d in DIRECTIONS
            if d in getattr(self.loss_itc, 'directions', DIRECTIONS) or d in (
                'i2t', 't2i'))
        sims, momentum_sims = self._contrastive_sims(image_feat, text_feat,
                                                     text_feat_m, directions)
        losses = dict(loss_itc=self.loss_itc(sims, momentum_sims, pos_mask))
        self.dequeue_and_enqueue(image_feat, text_feat_m, keys)

        losses['loss_itm'] = self._itm_loss(sims['i2t'][:, :B],
                                            sims['t2i'][:, :B], keys,
                                            text['tokens'], text_mask,
                                            fusion_tokens)
        losses['loss_mlm'] = self._mlm_loss(ids, att, fusion_tokens,
                                            fusion_tokens_m)
        losses['loss_mrtd'] = self._mrtd_loss(ids, att, fusion_tokens,
                                              fusion_tokens_m)
        return losses

    def _itm_loss(self, sim_i2t, sim_t2i, keys, text_tokens, text_mask,
                  image_tokens) -> torch.Tensor:
        """ITM cross-entropy over the B positive pairs, each text with a
        hard negative image and each image with a hard negative text (one
        pass of the fusion encoder over the 3B pairs)."""
        B = keys.shape[0]
        neg_image, neg_text = sample_hard_negatives(sim_i2t, sim_t2i, keys)
        batch = torch.arange(B, device=keys.device)
        text_rows = torch.cat([batch, batch, neg_text])
        image_rows = torch.cat([batch, neg_image, batch])
        fused = self.fusion_encoder(text_tokens[text_rows],
                                    text_mask[text_rows],
                                    image_tokens[image_rows])
        logits = self.itm_head(fused[:, 0])
        labels = torch.cat([
            torch.ones(B, dtype=torch.long),
            torch.zeros(2 * B, dtype=torch.long)
        ]).to(keys.device)
        return F.cross_entropy(logits.float(), labels) * self.itm_loss_weight

    def _mask(self, ids: torch.Tensor, probability: float, with_labels: bool):
        tokenizer = self.text_encoder.tokenizer
        special = [
            i for i in (tokenizer.pad_token_id, tokenizer.cls_token_id,
                        tokenizer.sep_token_id) if i is not None
        ]
        return mask_tokens(
            ids,
            probability,
            self.mlm_head.vocab_size,
            tokenizer.mask_token_id,
            special,
            with_labels=with_labels)

    def _word_embeddings(self, momentum: bool = False) -> torch.Tensor:
        model = self.momentum_text_encoder if momentum else \
            self.text_encoder.encoder
        return model.get_input_embeddings().weight

    def _mlm_loss(self, ids, att, image_tokens,
                  image_tokens_m) -> torch.Tensor:
        """MLM on the masked caption, soft labels from the momentum model;
        vocabulary logits only at the masked positions unless the loss
        normalises over positions."""
        text_mask = att.bool()
        mlm_ids, labels = self._mask(ids, self.mlm_probability, True)
        text = self._text_layers(mlm_ids, att)
        hidden = self.fusion_encoder(text, text_mask, image_tokens)
        with torch.no_grad():
            hidden_m = self.momentum_fusion_encoder(
                self._momentum_text_layers(mlm_ids, att, text), text_mask,
                image_tokens_m)
        if getattr(self.loss_mlm, 'distill_softmax', None) == 'vocab':
            chosen = labels != IGNORE_INDEX
            hidden, hidden_m = hidden[chosen][None], hidden_m[chosen][None]
            labels = labels[chosen][None]
        logits = self.mlm_head(hidden, self._word_embeddings())
        with torch.no_grad():
            soft_labels = self.momentum_mlm_head(
                hidden_m, self._word_embeddings(True)).float().softmax(-1)
        return self.loss_mlm(logits, labels, soft_labels)

    @torch.no_grad()
    def _replaced_tokens(self, ids, att, image_tokens_m):
        """The MRTD input: the momentum model fills a masked caption in by
        sampling each valid position from its vocabulary distribution."""
        text_mask = att.bool()
        masked, _ = self._mask(ids, self.mrtd_probability, False)
        online = None
        if self._frozen_text():
            online = self._text_layers(masked, att)
        hidden_m = self.momentum_fusion_encoder(
            self._momentum_text_layers(masked, att, online), text_mask,
            image_tokens_m)
        probs = self.momentum_mlm_head(
            hidden_m[text_mask],
            self._word_embeddings(True)).float().softmax(-1)
        pad = self.text_encoder.tokenizer.pad_token_id
        sampled = torch.full_like(ids, pad)
        sampled[text_mask] = torch.multinomial(probs, 1).flatten()
        tokenizer = self.text_encoder.tokenizer
        return replaced_token_labels(sampled, ids, att, tokenizer.cls_token_id,
                                     pad)

    def _mrtd_loss(self, ids, att, image_tokens,
                   image_tokens_m) -> torch.Tensor:
        """Replaced-token detection on every real token but [CLS]."""
        mrtd_ids, labels = self._replaced_tokens(ids, att, image_tokens_m)
        hidden = self.fusion_encoder(
            self._text_layers(mrtd_ids, att), att.bool(), image_tokens)
        logits = self.mrtd_head(hidden).flatten(0, 1).float()
        labels = labels.flatten()
        if not (labels != IGNORE_INDEX).any():
            return logits.sum() * 0.
        return F.cross_entropy(
            logits, labels, ignore_index=IGNORE_INDEX) * self.mrtd_loss_weight

    # ------------------------------------------------------------- predict
    def predict(self, image_tokens: Optional[torch.Tensor],
                texts: Optional[Sequence[str]],
                data_samples: List[ReIDDataSample]) -> List[ReIDDataSample]:
        """Attach the features of image samples (when ``image_tokens`` is
        given) or else of caption queries.

        Args:
            image_tokens (Tensor | None): (B, 1 + N, img_channels).
            texts (Sequence[str] | None): The B captions.
            data_samples (list[ReIDDataSample]): The samples to fill.

        Returns:
            list[ReIDDataSample]: The samples, with ``pred_feature`` and
            ``pred_tokens`` (images: only with ``keep_tokens``), and for
            captions ``pred_token_mask``.
        """
        if image_tokens is not None:
            feats = self.embed_image(image_tokens[:, 0]).detach()
            if self.keep_tokens:
                tokens = self.fusion_image_tokens(image_tokens).detach()
            for i, sample in enumerate(data_samples):
                sample.set_pred_feature(feats[i])
                if self.keep_tokens:
                    sample.set_field(tokens[i], 'pred_tokens')
            return data_samples
        if texts is None:
            raise ValueError('ALBEFT2IHead.predict needs image_tokens or '
                             'texts')
        device = self.text_proj.weight.device
        text = self.encode_texts(texts, device)
        tokens = text['tokens'].detach()
        feats = self.embed_text(tokens[:, 0]).detach()
        for i, sample in enumerate(data_samples):
            sample.set_pred_feature(feats[i])
            sample.set_field(tokens[i], 'pred_tokens')
            sample.set_field(text['mask'][i], 'pred_token_mask')
        return data_samples
