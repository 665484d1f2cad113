import pytest
import torch

from mmreid_instruct.models.utils import mask_tokens, replaced_token_labels

PAD, CLS, SEP, MASK, VOCAB = 0, 101, 102, 103, 200


def official_masking(input_ids, probability, vocab_size, generator):
    """ALBEF's masking (its ``mask`` method) written as loops over the
    positions, with the draws of the same generator in the same order."""
    shape = input_ids.shape
    chosen = torch.bernoulli(
        torch.full(shape, probability), generator=generator).bool()
    to_mask = torch.bernoulli(
        torch.full(shape, 0.8), generator=generator).bool()
    to_random = torch.bernoulli(
        torch.full(shape, 0.5), generator=generator).bool()
    random_words = torch.randint(vocab_size, shape, generator=generator)
    ids, labels = input_ids.clone(), input_ids.clone()
    for b in range(shape[0]):
        for t in range(shape[1]):
            token = input_ids[b, t].item()
            if token in (PAD, CLS, SEP) or not chosen[b, t]:
                labels[b, t] = -100
            elif to_mask[b, t]:
                ids[b, t] = MASK
            elif to_random[b, t]:
                ids[b, t] = random_words[b, t]
    return ids, labels


def captions(batch, length, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1000, 2000, (batch, length), generator=g)
    lengths = torch.randint(3, length + 1, (batch, ), generator=g)
    for b, n in enumerate(lengths.tolist()):
        ids[b, 0], ids[b, n - 1], ids[b, n:] = CLS, SEP, PAD
    return ids


def test_matches_loop_reference_with_fixed_generator():
    ids = captions(6, 12)
    for probability in (0.15, 0.3, 0.9):
        masked, labels = mask_tokens(
            ids,
            probability,
            VOCAB,
            MASK, (PAD, CLS, SEP),
            generator=torch.Generator().manual_seed(5))
        exp_ids, exp_labels = official_masking(
            ids, probability, VOCAB,
            torch.Generator().manual_seed(5))
        assert torch.equal(masked, exp_ids)
        assert torch.equal(labels, exp_labels)
    # The input is not modified.
    assert torch.equal(ids, captions(6, 12))


def test_without_labels_gives_the_same_ids():
    ids = captions(4, 10)
    with_labels = mask_tokens(
        ids,
        0.3,
        VOCAB,
        MASK, (PAD, CLS, SEP),
        generator=torch.Generator().manual_seed(1))
    masked, labels = mask_tokens(
        ids,
        0.3,
        VOCAB,
        MASK, (PAD, CLS, SEP),
        with_labels=False,
        generator=torch.Generator().manual_seed(1))
    assert labels is None
    assert torch.equal(masked, with_labels[0])


def test_rates_on_a_large_tensor():
    ids = captions(400, 64, seed=3)
    masked, labels = mask_tokens(
        ids,
        0.15,
        VOCAB,
        MASK, (PAD, CLS, SEP),
        generator=torch.Generator().manual_seed(0))
    special = (ids == PAD) | (ids == CLS) | (ids == SEP)
    chosen = labels != -100
    assert not (chosen & special).any()
    assert torch.equal(masked[special], ids[special])
    assert torch.equal(masked[~chosen], ids[~chosen])
    assert torch.equal(labels[chosen], ids[chosen])
    words = (~special).sum().item()
    assert abs(chosen.sum().item() / words - 0.15) < 0.01
    n = chosen.sum().item()
    to_mask = (masked == MASK) & chosen
    # Random ids lie in [0, VOCAB) and the words in [1000, 2000).
    to_random = (masked != MASK) & (masked != ids) & chosen
    kept = (masked == ids) & chosen
    assert abs(to_mask.sum().item() / n - 0.8) < 0.02
    assert abs(to_random.sum().item() / n - 0.1) < 0.02
    assert abs(kept.sum().item() / n - 0.1) < 0.02
    assert (masked[to_random] < VOCAB).all()


def test_probability_out_of_range():
    with pytest.raises(ValueError, match='probability'):
        mask_tokens(captions(1, 5), 1.5, VOCAB, MASK, (PAD, ))


def test_replaced_token_labels_hand_computed():
    sampled = torch.tensor([[7, 11, 12, 101, 0, 5], [9, 21, 22, 23, 24, 25]])
    original = torch.tensor([[101, 11, 13, 14, 15, 0],
                             [101, 21, 30, 23, 102, 0]])
    attention_mask = torch.tensor([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 0]])
    ids, labels = replaced_token_labels(sampled, original, attention_mask, CLS,
                                        PAD)
    # Row 0: position 0 -> CLS (ignored), 11 kept (0), 12 != 13 (1), a
    # sampled CLS (ignored), a sampled PAD (ignored), padding (ignored).
    assert ids.tolist() == [[101, 11, 12, 101, 0, 0], [101, 21, 22, 23, 24, 0]]
    assert labels.tolist() == [[-100, 0, 1, -100, -100, -100],
                               [-100, 0, 1, 0, 1, -100]]
    assert labels.dtype == torch.int64
    # The input is not modified.
    assert sampled[0, 0] == 7


def test_replaced_token_labels_shape_error():
    with pytest.raises(ValueError, match='one shape'):
        replaced_token_labels(
            torch.zeros(2, 3, dtype=torch.long),
            torch.zeros(2, 4, dtype=torch.long), torch.ones(2, 3), CLS, PAD)
