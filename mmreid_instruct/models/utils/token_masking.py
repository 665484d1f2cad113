from typing import Optional, Sequence, Tuple

import torch

#: The label of the positions that a token-level loss ignores.
IGNORE_INDEX = -100


def mask_tokens(
    input_ids: torch.Tensor,
    probability: float,
    vocab_size: int,
    mask_token_id: int,
    special_ids: Sequence[int],
    with_labels: bool = True,
    generator: Optional[torch.Generator] = None
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """BERT's masking of token ids for masked language modelling.

    Each token is chosen with ``probability``, never a special token (PAD,
    CLS, SEP, ...). Of the chosen tokens, 80% become ``mask_token_id``; of
    the others, half become a uniformly random id in ``[0, vocab_size)`` and
    half stay unchanged. The random draws are made in this order: the
    choice, the [MASK] draw, the random-word draw, the random ids (each over
    the whole tensor), as ALBEF does.

    Args:
        input_ids (Tensor): (B, L) token ids; not modified.
        probability (float): Chance of a token to be chosen, in [0, 1].
        vocab_size (int): Size of the vocabulary of the random ids.
        mask_token_id (int): Id of [MASK].
        special_ids (Sequence[int]): Ids never chosen.
        with_labels (bool): Also return the labels. Defaults to True.
        generator (torch.Generator, optional): The random generator, on the
            device of ``input_ids``. Defaults to None (the global one).

    Returns:
        tuple[Tensor, Tensor | None]: ``(masked_ids, labels)``: the new ids
        and, with ``with_labels``, the original ids at the chosen positions
        and -100 elsewhere (None otherwise).

    Example:
        >>> ids = torch.tensor([[101, 7, 8, 9, 102, 0]])
        >>> g = torch.Generator().manual_seed(0)
        >>> masked, labels = mask_tokens(ids, 1., 10, 103, (0, 101, 102),
        ...                              generator=g)
        >>> labels.tolist()  # every word chosen; specials never
        [[-100, 7, 8, 9, -100, -100]]
        >>> masked[0, [0, 4, 5]].tolist()
        [101, 102, 0]
    """
    if not 0 <= probability <= 1:
        raise ValueError(
            f'mask_tokens: probability must be in [0, 1], got {probability}')
    device = input_ids.device

    def bernoulli(p: float) -> torch.Tensor:
        full = torch.full(input_ids.shape, p, device=device)
        return torch.bernoulli(full, generator=generator).bool()

    chosen = bernoulli(probability)
    for special in special_ids:
        chosen &= input_ids != special
    replaced = bernoulli(0.8) & chosen
    randomised = bernoulli(0.5) & chosen & ~replaced
    random_ids = torch.randint(
        vocab_size,
        input_ids.shape,
        generator=generator,
        device=device,
        dtype=input_ids.dtype)
    masked = input_ids.masked_fill(replaced, mask_token_id)
    masked = torch.where(randomised, random_ids, masked)
    labels = None
    if with_labels:
        labels = input_ids.masked_fill(~chosen, IGNORE_INDEX)
    return masked, labels


def replaced_token_labels(
        sampled_ids: torch.Tensor, original_ids: torch.Tensor,
        attention_mask: torch.Tensor, cls_token_id: int,
        pad_token_id: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Inputs and labels of replaced-token detection (ALBEF's MRTD).

    The first position of ``sampled_ids`` is set to CLS and the padding to
    PAD, giving the new ids. A position is labelled 1 when its new id
    differs from the original one and 0 otherwise; positions whose new id
    is PAD or CLS are ignored (-100), padding included.

    Args:
        sampled_ids (Tensor): (B, L) ids sampled by a generator (e.g. the
            momentum masked language model).
        original_ids (Tensor): (B, L) the original ids.
        attention_mask (Tensor): (B, L) 1 (True) for valid tokens, 0 for
            padding.
        cls_token_id (int): Id of [CLS].
        pad_token_id (int): Id of [PAD].

    Returns:
        tuple[Tensor, Tensor]: ``(mrtd_ids, labels)``, (B, L) each, int64
        labels in {-100, 0, 1}.

    Example:
        >>> sampled = torch.tensor([[5, 7, 3, 9]])
        >>> original = torch.tensor([[101, 7, 8, 0]])
        >>> mask = torch.tensor([[1, 1, 1, 0]])
        >>> ids, labels = replaced_token_labels(sampled, original, mask,
        ...                                     101, 0)
        >>> ids.tolist(), labels.tolist()
        ([[101, 7, 3, 0]], [[-100, 0, 1, -100]])
    """
    if not (sampled_ids.shape == original_ids.shape == attention_mask.shape):
        raise ValueError(
            'replaced_token_labels: sampled_ids, original_ids and '
            'attention_mask must have one shape, got '
            f'{tuple(sampled_ids.shape)}, {tuple(original_ids.shape)} and '
            f'{tuple(attention_mask.shape)}')
    valid = attention_mask.bool()
    sampled = sampled_ids.clone()
    sampled[:, 0] = cls_token_id
    mrtd_ids = sampled.masked_fill(~valid, pad_token_id)
    labels = ((sampled != original_ids) & valid).long()
    ignored = (mrtd_ids == pad_token_id) | (mrtd_ids == cls_token_id)
    return mrtd_ids, labels.masked_fill(ignored, IGNORE_INDEX)
