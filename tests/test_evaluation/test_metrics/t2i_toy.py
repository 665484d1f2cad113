"""A tiny text-to-image test set with tokens, a fake ITM scorer, and a
brute-force reference of the ITM re-ranked evaluation."""
import numpy as np
import torch

from mmreid_instruct.structures.reid_data_sample import ReIDDataSample

NUM_CAPTIONS, NUM_IMAGES, DIMS = 6, 13, 4


class ToyScorer:
    """``round(2 * <mean of the valid text tokens, image token 0>)``:
    integer scores, so that many pairs tie; it records every call."""

    def __init__(self):
        self.calls = []

    def __call__(self, text, mask, image):
        self.calls.append((text, mask, image))
        valid = mask.to(text.dtype)[..., None]
        text_mean = (text * valid).sum(1) / valid.sum(1)
        return torch.round(2 * (text_mean * image[:, 0]).sum(-1))

    @property
    def num_pairs(self):
        return sum(len(call[0]) for call in self.calls)


def toy_arrays(seed=0):
    """Features, pids and tokens of the toy set: three gallery images share
    one feature (cosine ties); captions have 3 to 5 tokens, some padded."""
    rng = np.random.default_rng(seed)
    g_feats = rng.normal(size=(NUM_IMAGES, DIMS)).astype(np.float32)
    g_feats[7] = g_feats[11] = g_feats[2]
    q_feats = rng.normal(size=(NUM_CAPTIONS, DIMS)).astype(np.float32)
    text_tokens, text_masks = [], []
    for i in range(NUM_CAPTIONS):
        length = 3 + i % 3
        text_tokens.append(torch.tensor(rng.normal(size=(length, DIMS))))
        mask = torch.ones(length, dtype=torch.bool)
        mask[-1] = i % 2 == 0
        text_masks.append(mask)
    image_tokens = [
        torch.tensor(rng.normal(size=(3, DIMS))) for _ in range(NUM_IMAGES)
    ]
    return dict(
        q_feats=q_feats,
        g_feats=g_feats,
        q_pids=np.arange(NUM_CAPTIONS) % 3,
        g_pids=np.arange(NUM_IMAGES) % 3,
        text_tokens=text_tokens,
        text_masks=text_masks,
        image_tokens=image_tokens)


def toy_samples(seed=0, with_tokens=True):
    """The toy set as predicted data samples (dicts): captions first."""
    arrays = toy_arrays(seed)
    samples = []
    for i in range(NUM_CAPTIONS):
        s = _sample('query', i, arrays['q_pids'][i], arrays['q_feats'][i])
        s.set_instruction(f'caption {i}')
        if with_tokens:
            s.set_field(arrays['text_tokens'][i], 'pred_tokens')
            s.set_field(arrays['text_masks'][i], 'pred_token_mask')
        samples.append(s.to_dict())
    for j in range(NUM_IMAGES):
        s = _sample('gallery', j, arrays['g_pids'][j], arrays['g_feats'][j])
        if with_tokens:
            s.set_field(arrays['image_tokens'][j], 'pred_tokens')
        samples.append(s.to_dict())
    return samples


def _sample(subset, idx, pid, feat):
    sample = ReIDDataSample(
        metainfo=dict(
            subset=subset,
            sample_idx=idx,
            dataset_name='toy',
            img_path=None if subset == 'query' else f'{idx}.jpg',
            instruction_img_path=None))
    sample.set_pid(int(pid)).set_camid(0).set_task('t2i')
    sample.set_pred_feature(torch.tensor(feat))
    return sample


def all_pair_scores(arrays, scorer):
    """The score of every (caption, image) pair, one scorer call each."""
    scores = np.empty((NUM_CAPTIONS, NUM_IMAGES))
    for i in range(NUM_CAPTIONS):
        for j in range(NUM_IMAGES):
            scores[i, j] = float(
                scorer(arrays['text_tokens'][i][None],
                       arrays['text_masks'][i][None],
                       arrays['image_tokens'][j][None])[0])
    return scores


def reference_orders(arrays, scores, k):
    """Every caption's ranking: its ``k`` closest images by cosine (ties by
    index) sorted by decreasing score (ties by index), then the others by
    cosine (ties by index)."""
    q = arrays['q_feats'].astype(np.float64)
    g = arrays['g_feats'].astype(np.float64)
    cos = (q / np.linalg.norm(q, axis=1, keepdims=True)) @ (
        g / np.linalg.norm(g, axis=1, keepdims=True)).T
    orders = []
    for i in range(NUM_CAPTIONS):
        by_cosine = sorted(range(NUM_IMAGES), key=lambda j: (-cos[i, j], j))
        top = sorted(by_cosine[:k], key=lambda j: (-scores[i, j], j))
        orders.append(top + by_cosine[k:])
    return orders


def reference_metrics(arrays, orders, topk=(1, 5)):
    """R<k>, mAP and mINP in percent of the rankings, written out simply."""
    first, aps, inps = [], [], []
    for i, order in enumerate(orders):
        hits = [
            pos for pos, j in enumerate(order)
            if arrays['g_pids'][j] == arrays['q_pids'][i]
        ]
        first.append(hits[0])
        aps.append(np.mean([(n + 1) / (p + 1) for n, p in enumerate(hits)]))
        inps.append(len(hits) / (hits[-1] + 1))
    res = {f't2i/R{k}': 100 * np.mean([f < k for f in first]) for k in topk}
    res['t2i/mAP'] = 100 * np.mean(aps)
    res['t2i/mINP'] = 100 * np.mean(inps)
    return res
