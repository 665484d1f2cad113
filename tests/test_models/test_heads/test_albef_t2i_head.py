import copy

import pytest
import torch
import torch.nn.functional as F

from mmreid_instruct.models.heads import ALBEFT2IHead
from mmreid_instruct.models.heads import albef_t2i_head as albef_module
from mmreid_instruct.models.heads.albef_t2i_head import (identity_keys,
                                                         sample_hard_negatives)
from mmreid_instruct.models.instruction_encoders import TextInstructionEncoder
from mmreid_instruct.models.losses import SoftMaskedLMLoss
from mmreid_instruct.models.utils import mask_tokens, replaced_token_labels
from mmreid_instruct.structures import ReIDDataSample
from mmreid_instruct.utils import register_all_modules

register_all_modules()

TEXTS = ['a red coat', 'red coat, black shoes', 'blue jeans', 'a grey hat']
FUSION = dict(
    type='CrossModalEncoder',
    num_layers=1,
    num_heads=2,
    feedforward_channels=32,
    drop_rate=0.,
    attn_drop_rate=0.)


def build_head(frozen=False, seed=0, **kwargs):
    torch.manual_seed(seed)
    encoder = TextInstructionEncoder(
        tokenizer='char',
        max_length=32,
        frozen=frozen,
        config=dict(
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
            hidden_dropout_prob=0.,
            attention_probs_dropout_prob=0.))
    cfg = dict(
        img_channels=8,
        text_channels=16,
        embed_dims=6,
        fusion_encoder=FUSION,
        queue_size=10)
    cfg.update(kwargs)
    head = ALBEFT2IHead(**cfg)
    head.bind_text_encoder(encoder)
    return head


def samples(pids, dataset='cuhk_pedes'):
    return [
        ReIDDataSample(metainfo=dict(dataset_name=dataset)).set_pid(p)
        for p in pids
    ]


def perturb_momentum(head, scale=0.05):
    """Make the momentum copies differ from the online modules, so that a
    test tells which one a computation used."""
    with torch.no_grad():
        for _, momentum in head._momentum_pairs():
            for p in momentum.parameters():
                p.add_(torch.randn_like(p) * scale)


def tokenized(head, texts=TEXTS):
    enc = head.text_encoder.tokenize(texts)
    return enc['input_ids'], enc['attention_mask']


def momentum_text(head, ids, att):
    return head.momentum_text_encoder(
        input_ids=ids, attention_mask=att).last_hidden_state


def special_ids(head):
    tok = head.text_encoder.tokenizer
    return tok.pad_token_id, tok.cls_token_id, tok.sep_token_id


def test_momentum_copies_start_equal_and_are_not_trained():
    head = build_head()
    for online, momentum in head._momentum_pairs():
        for (name, p), p_m in zip(online.named_parameters(),
                                  momentum.parameters()):
            assert torch.equal(p, p_m), name
            assert not p_m.requires_grad
    keys = set(head.state_dict())
    assert {'temp', 'image_queue', 'text_queue', 'idx_queue',
            'queue_ptr'} <= keys
    assert any(
        k.startswith('momentum_text_encoder.encoder.layer.0.') for k in keys)
    assert any(k.startswith('momentum_fusion_encoder.layers.0.') for k in keys)
    assert {
        'mlm_head.bias', 'momentum_mlm_head.bias', 'momentum_text_proj.weight'
    } <= keys
    # The text encoder is the model's, not saved again by the head.
    assert not any(
        k.startswith(('text_encoder', '_text_encoder')) for k in keys)
    assert head.image_queue.norm(dim=0).allclose(torch.ones(10))
    assert (head.idx_queue == -100).all() and int(head.queue_ptr) == 0


def test_init_weights_copies_online_to_momentum():
    head = build_head()
    perturb_momentum(head)
    head.init_weights()
    for online, momentum in head._momentum_pairs():
        for p, p_m in zip(online.parameters(), momentum.parameters()):
            assert torch.equal(p, p_m)


def test_a_pretrained_checkpoint_keeps_its_momentum_weights(tmp_path):
    saved = build_head()
    perturb_momentum(saved)
    path = str(tmp_path / 'head.pth')
    torch.save(dict(state_dict=saved.state_dict()), path)
    head = build_head(
        seed=1, init_cfg=dict(type='Pretrained', checkpoint=path))
    head.init_weights()
    for key, value in saved.state_dict().items():
        assert torch.equal(head.state_dict()[key], value), key
    assert not torch.equal(head.momentum_text_proj.weight,
                           head.text_proj.weight)


def test_momentum_update_is_the_ema_formula():
    head = build_head(momentum=0.9)
    perturb_momentum(head)
    before = [[p_m.clone() for p_m in m.parameters()]
              for _, m in head._momentum_pairs()]
    head.momentum_update()
    for (online, momentum), old in zip(head._momentum_pairs(), before):
        for p, p_m, o in zip(online.parameters(), momentum.parameters(), old):
            assert torch.allclose(p_m, 0.9 * o + 0.1 * p, atol=1e-7)
            assert not torch.equal(p_m, o)


def test_each_training_forward_starts_with_an_ema_step():
    head = build_head(momentum=0.9)
    perturb_momentum(head)
    momentum = [p.clone() for p in head.momentum_fusion_encoder.parameters()]
    online = [p.clone() for p in head.fusion_encoder.parameters()]
    head.loss(torch.randn(4, 5, 8), TEXTS, samples([0, 0, 1, 2]))
    for p_m, o_m, o in zip(head.momentum_fusion_encoder.parameters(), momentum,
                           online):
        assert torch.allclose(p_m, 0.9 * o_m + 0.1 * o, atol=1e-7)


def test_a_frozen_text_encoder_is_copied_not_averaged():
    head = build_head(frozen=True, momentum=0.9)
    perturb_momentum(head)
    old_proj = head.momentum_text_proj.weight.clone()
    head.momentum_update()
    for p, p_m in zip(head.text_encoder.encoder.parameters(),
                      head.momentum_text_encoder.parameters()):
        assert torch.equal(p, p_m)
    assert torch.allclose(head.momentum_text_proj.weight,
                          0.9 * old_proj + 0.1 * head.text_proj.weight)
    # Changed on either side (e.g. loaded), the copy follows.
    weight = head.momentum_text_encoder.embeddings.word_embeddings.weight
    with torch.no_grad():
        weight.add_(1.)
    head.momentum_update()
    assert torch.equal(
        weight, head.text_encoder.encoder.embeddings.word_embeddings.weight)
    online = head.text_encoder.encoder.encoder.layer[0].output.dense.bias
    with torch.no_grad():
        online.add_(1.)
    head.momentum_update()
    assert torch.equal(
        head.momentum_text_encoder.encoder.layer[0].output.dense.bias, online)
    head.train()
    assert not head.momentum_text_encoder.training
    assert head.momentum_fusion_encoder.training


def test_queue_is_a_ring_buffer():
    head = build_head(queue_size=5)
    ref_img = head.image_queue.clone()
    ref_txt = head.text_queue.clone()
    ref_idx = head.idx_queue.clone()
    ptr = 0
    for step in range(4):
        img, txt = torch.randn(3, 6), torch.randn(3, 6)
        keys = torch.arange(3) + 10 * step
        head.dequeue_and_enqueue(img, txt, keys)
        for j in range(3):  # one column at a time, by hand
            ref_img[:, ptr], ref_txt[:, ptr] = img[j], txt[j]
            ref_idx[0, ptr] = keys[j]
            ptr = (ptr + 1) % 5
        assert torch.equal(head.image_queue, ref_img)
        assert torch.equal(head.text_queue, ref_txt)
        assert torch.equal(head.idx_queue, ref_idx)
        assert int(head.queue_ptr) == ptr
    with pytest.raises(ValueError, match='queue_size=5'):
        head.dequeue_and_enqueue(
            torch.randn(6, 6), torch.randn(6, 6), torch.arange(6))


def test_queue_takes_the_batches_of_every_rank(monkeypatch):
    head = build_head(queue_size=10)
    monkeypatch.setattr(albef_module, 'all_gather',
                        lambda t: [t, t + 100])  # two ranks
    img, txt = torch.randn(2, 6), torch.randn(2, 6)
    head.dequeue_and_enqueue(img, txt, torch.tensor([3, 4]))
    assert head.idx_queue[0, :4].tolist() == [3, 4, 103, 104]
    assert torch.equal(head.image_queue[:, 2:4], (img + 100).t())
    assert int(head.queue_ptr) == 4


def test_identity_keys_separate_datasets():
    a = identity_keys(samples([0, 1], 'cuhk_pedes'))
    b = identity_keys(samples([0, 1], 'plip'))
    assert (a != b).all() and (a % 2**32).tolist() == [0, 1]
    assert identity_keys([ReIDDataSample().set_pid(7)]).tolist() == [7]


def test_hard_negatives_follow_the_official_draw():
    sim_i2t, sim_t2i = torch.randn(6, 6), torch.randn(6, 6)
    keys = torch.tensor([0, 0, 1, 1, 2, 2])
    torch.manual_seed(1)
    neg_image, neg_text = sample_hard_negatives(sim_i2t, sim_t2i, keys)
    torch.manual_seed(1)
    same = keys[:, None] == keys[None]
    w_t2i = F.softmax(sim_t2i, dim=1).masked_fill(same, 0)
    w_i2t = F.softmax(sim_i2t, dim=1).masked_fill(same, 0)
    assert torch.equal(neg_image, torch.multinomial(w_t2i, 1).flatten())
    assert torch.equal(neg_text, torch.multinomial(w_i2t, 1).flatten())


def test_hard_negatives_never_share_the_identity():
    keys = torch.tensor([0, 0, 1, 1, 2])
    sim = torch.zeros(5, 5)
    sim[0, 0] = sim[0, 1] = 1000.  # row 0: all weight on its own identity
    drawn = torch.stack([
        torch.stack(sample_hard_negatives(sim, sim, keys)) for _ in range(200)
    ])
    assert (keys[drawn] != keys[None, None]).all()
    # Row 0's weights underflow: it draws among the other identities.
    assert set(drawn[:, 0, 0].tolist()) == {2, 3, 4}
    with pytest.raises(ValueError, match='single identity'):
        sample_hard_negatives(sim[:2, :2], sim[:2, :2], torch.tensor([5, 5]))


def test_itc_is_the_official_formula_and_fills_the_queue():
    head = build_head(momentum=1.0, queue_size=10)
    perturb_momentum(head)
    data = samples([0, 0, 1, 2])
    keys = identity_keys(data)
    with torch.no_grad():  # a queue with two entries of identity 1
        head.idx_queue[0, 3] = head.idx_queue[0, 7] = keys[2]
        head.queue_ptr[0] = 8
    queue_img, queue_txt = head.image_queue.clone(), head.text_queue.clone()
    idx_all = torch.cat([keys, head.idx_queue[0]])
    image = torch.randn(4, 5, 8)
    losses = head.loss(image, TEXTS, data)

    ids, att = tokenized(head)
    with torch.no_grad():
        text_cls = head.text_encoder(dict(input_ids=ids,
                                          attention_mask=att))['cls']
        image_feat = F.normalize(head.img_proj(image[:, 0]), dim=-1)
        text_feat = F.normalize(head.text_proj(text_cls), dim=-1)
        text_feat_m = F.normalize(
            head.momentum_text_proj(momentum_text(head, ids, att)[:, 0]),
            dim=-1)
        text_all = torch.cat([text_feat_m.t(), queue_txt], dim=1)
        image_all = torch.cat([image_feat.t(), queue_img], dim=1)
        pos = (keys[:, None] == idx_all[None]).float()
        targets = pos / pos.sum(1, keepdim=True)
        temp = head.temp
        expected = 0
        for query, query_m, keys_all in [(image_feat, image_feat, text_all),
                                         (text_feat, text_feat_m, image_all),
                                         (image_feat, image_feat, image_all),
                                         (text_feat, text_feat_m, text_all)]:
            soft = 0.4 * F.softmax(query_m @ keys_all / temp, dim=1) + \
                0.6 * targets
            expected += -(F.log_softmax(query @ keys_all / temp, dim=1) *
                          soft).sum(1).mean() / 4
    assert pos[2, 4 + 3] == 1 and pos[2, 4 + 7] == 1 and pos.sum() == 8
    assert torch.allclose(losses['loss_itc'], 0.5 * expected, atol=1e-6)
    # The batch went into the queue at 8, 9, 0, 1.
    cols = [8, 9, 0, 1]
    assert torch.allclose(head.image_queue[:, cols], image_feat.t())
    assert torch.allclose(head.text_queue[:, cols], text_feat_m.t())
    assert head.idx_queue[0, cols].tolist() == keys.tolist()
    assert int(head.queue_ptr) == 2
    losses['loss_itc'].backward()
    assert head.temp.grad is not None and head.temp.grad != 0


def test_itm_pairs_each_text_and_image_with_a_hard_negative():
    head = build_head()
    ids, att = tokenized(head)
    tokens = head.text_encoder(dict(input_ids=ids,
                                    attention_mask=att))['tokens']
    mask, image = att.bool(), torch.randn(4, 5, 8)
    keys = torch.tensor([0, 0, 1, 2])
    sim_i2t, sim_t2i = torch.randn(4, 4), torch.randn(4, 4)
    torch.manual_seed(2)
    got = head._itm_loss(sim_i2t, sim_t2i, keys, tokens, mask, image)
    torch.manual_seed(2)
    neg_image, neg_text = sample_hard_negatives(sim_i2t, sim_t2i, keys)

    def cls_logits(rows_t, rows_i):
        fused = head.fusion_encoder(tokens[rows_t], mask[rows_t],
                                    image[rows_i])
        return head.itm_head(fused[:, 0])

    batch = torch.arange(4)
    logits = torch.cat([
        cls_logits(batch, batch),
        cls_logits(batch, neg_image),
        cls_logits(neg_text, batch)
    ])
    labels = torch.tensor([1] * 4 + [0] * 8)
    assert torch.allclose(got, F.cross_entropy(logits, labels), atol=1e-6)


@pytest.mark.parametrize('distill_softmax', ['vocab', 'positions'])
def test_mlm_equals_the_loss_over_every_position(distill_softmax):
    head = build_head(
        mlm_probability=0.5,
        loss_mlm=dict(
            type='SoftMaskedLMLoss', distill_softmax=distill_softmax))
    perturb_momentum(head)
    ids, att = tokenized(head)
    image = torch.randn(4, 5, 8)
    torch.manual_seed(3)
    got = head._mlm_loss(ids, att, image, image)

    torch.manual_seed(3)
    masked, labels = mask_tokens(ids, 0.5, head.mlm_head.vocab_size,
                                 head.text_encoder.tokenizer.mask_token_id,
                                 special_ids(head))
    assert (labels != -100).sum() > 3
    text = head.text_encoder(dict(input_ids=masked,
                                  attention_mask=att))['tokens']
    logits = head.mlm_head(
        head.fusion_encoder(text, att.bool(), image),
        head.text_encoder.encoder.embeddings.word_embeddings.weight)
    with torch.no_grad():
        soft = head.momentum_mlm_head(
            head.momentum_fusion_encoder(
                momentum_text(head, masked, att), att.bool(), image),
            head.momentum_text_encoder.embeddings.word_embeddings.weight)
    expected = SoftMaskedLMLoss(distill_softmax=distill_softmax)(
        logits, labels, soft.softmax(-1))
    assert torch.allclose(got, expected, atol=1e-6)


def test_mrtd_samples_from_the_momentum_model():
    head = build_head()
    perturb_momentum(head)
    ids, att = tokenized(head)
    mask, image = att.bool(), torch.randn(4, 5, 8)
    torch.manual_seed(4)
    got_ids, got_labels = head._replaced_tokens(ids, att, image)
    torch.manual_seed(4)
    got_loss = head._mrtd_loss(ids, att, image, image)

    torch.manual_seed(4)
    tok = head.text_encoder.tokenizer
    masked, _ = mask_tokens(ids, 0.3, head.mlm_head.vocab_size,
                            tok.mask_token_id, special_ids(head), False)
    with torch.no_grad():
        logits = head.momentum_mlm_head(
            head.momentum_fusion_encoder(
                momentum_text(head, masked, att), mask, image),
            head.momentum_text_encoder.embeddings.word_embeddings.weight)
    sampled = ids.clone()
    sampled[mask] = torch.multinomial(logits.softmax(-1)[mask], 1).flatten()
    exp_ids, exp_labels = replaced_token_labels(sampled, ids, att,
                                                tok.cls_token_id,
                                                tok.pad_token_id)
    assert torch.equal(got_ids, exp_ids)
    assert torch.equal(got_labels, exp_labels)
    assert (exp_labels == 1).any() and (exp_labels == 0).any()
    text = head.text_encoder(dict(input_ids=exp_ids,
                                  attention_mask=att))['tokens']
    out = head.mrtd_head(head.fusion_encoder(text, mask, image))
    expected = 0.5 * F.cross_entropy(
        out.flatten(0, 1), exp_labels.flatten(), ignore_index=-100)
    assert torch.allclose(got_loss, expected, atol=1e-6)


def test_loss_keys_and_weights():
    head = build_head()
    reweighted = copy.deepcopy(head)
    reweighted.loss_itc.loss_weight = 1.
    reweighted.itm_loss_weight = 2.
    reweighted.mrtd_loss_weight = 1.
    reweighted.loss_mlm.loss_weight = 3.
    image, data = torch.randn(4, 5, 8), samples([0, 0, 1, 2])
    torch.manual_seed(5)
    losses = head.loss(image, TEXTS, data)
    torch.manual_seed(5)
    other = reweighted.loss(image, TEXTS, data)
    assert set(losses) == {'loss_itc', 'loss_itm', 'loss_mlm', 'loss_mrtd'}
    for key, ratio in dict(
            loss_itc=2., loss_itm=2., loss_mlm=3., loss_mrtd=2.).items():
        assert torch.isfinite(losses[key]) and losses[key] > 0
        assert torch.allclose(other[key], ratio * losses[key]), key


def test_a_frozen_encoder_stands_for_its_momentum_copy(monkeypatch):
    head = build_head(frozen=True)
    head.train()
    image, data = torch.randn(4, 5, 8), samples([0, 0, 1, 2])
    forced = copy.deepcopy(head)
    monkeypatch.setattr(forced, '_frozen_text', lambda: False)
    torch.manual_seed(6)
    losses = head.loss(image, TEXTS, data)
    torch.manual_seed(6)
    expected = forced.loss(image, TEXTS, data)
    for key in losses:
        assert torch.allclose(losses[key], expected[key], atol=1e-6), key
    sum(losses.values()).backward()
    assert all(p.grad is None for p in head.text_encoder.parameters())
    assert head.fusion_encoder.layers[0].intermediate.dense.weight.grad \
        is not None


def test_predict_images_and_captions():
    head = build_head().eval()
    tokens = torch.randn(3, 5, 8)
    out = head.predict(tokens, None, samples([0, 1, 2]))
    assert torch.allclose(out[1].pred_feature,
                          F.normalize(head.img_proj(tokens[1, 0]), dim=0))
    assert torch.equal(out[2].pred_tokens, tokens[2])
    assert not out[0].pred_feature.requires_grad
    head.keep_tokens = False
    assert 'pred_tokens' not in head.predict(tokens, None, samples([0]))[0]

    out = head.predict(None, TEXTS[:2], samples([0, 1]))
    ids, att = tokenized(head, TEXTS[:2])
    text = head.text_encoder(dict(input_ids=ids, attention_mask=att))
    assert out[0].pred_tokens.shape == (ids.shape[1], 16)
    assert torch.equal(out[0].pred_token_mask, att[0].bool())
    assert not out[0].pred_token_mask.all()  # the shorter caption pads
    assert torch.allclose(out[1].pred_tokens, text['tokens'][1])
    assert torch.allclose(out[1].pred_feature,
                          F.normalize(head.text_proj(text['cls'][1]), dim=0))
    with pytest.raises(ValueError, match='image_tokens or'):
        head.predict(None, None, samples([0]))


def test_img_neck_standardises_the_contrastive_image_cls():
    plain = build_head(seed=3)
    head = build_head(seed=3, img_neck=dict(type='BNNeck'))
    # The neck draws nothing at random: the other weights are the same.
    assert torch.equal(plain.img_proj.weight, head.img_proj.weight)
    tokens = torch.randn(4, 5, 8) + 10
    cls = tokens[:, 0]
    bn = head.img_neck.bn
    standardised = (
        cls - cls.mean(0)) / torch.sqrt(cls.var(0, unbiased=False) + bn.eps)
    assert torch.allclose(
        head.embed_image(cls),
        F.normalize(head.img_proj(standardised), dim=-1),
        atol=1e-6)
    losses = head.loss(tokens, TEXTS[:4], samples([0, 0, 1, 2]))
    sum(losses.values()).backward()
    assert bn.weight.grad.abs().sum() > 0
    # At test time: the running statistics.
    head.eval()
    running = (cls - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps)
    out = head.predict(tokens, None, samples([0, 0, 1, 2]))
    assert torch.allclose(
        out[3].pred_feature,
        F.normalize(head.img_proj(running[3]), dim=0),
        atol=1e-6)
    # The ITM path reads the image tokens as they are.
    assert torch.equal(out[3].pred_tokens, tokens[3])


def test_img_token_neck_standardises_what_the_cross_modal_layers_read():
    plain = build_head(seed=3)
    head = build_head(seed=3, img_token_neck=dict(type='BNNeck'))
    # The neck draws nothing at random: the other weights are the same.
    for name, p in plain.named_parameters():
        assert torch.equal(p, head.get_parameter(name)), name
    tokens = torch.randn(4, 5, 8) * 0.1 + torch.randn(8) * 3
    flat = tokens.flatten(0, 1)
    bn = head.img_token_neck.bn
    standardised = ((flat - flat.mean(0)) /
                    torch.sqrt(flat.var(0, unbiased=False) + bn.eps))
    assert torch.allclose(
        head.fusion_image_tokens(tokens),
        standardised.view_as(tokens),
        atol=1e-4)
    # Every image input of the online and momentum cross-modal layers is
    # made of standardised tokens; the contrastive CLS is the raw one.
    seen = []
    for encoder in (head.fusion_encoder, head.momentum_fusion_encoder):
        forward = encoder.forward

        def recording(text, mask, image, forward=forward):
            seen.append(image.detach())
            return forward(text, mask, image)

        encoder.forward = recording
    losses = head.loss(tokens, TEXTS[:4], samples([0, 0, 1, 2]))
    assert len(seen) >= 4  # ITM, MLM (online + momentum), MRTD
    for image in seen:
        rows = image.flatten(0, 1)
        distance = (rows[:, None] - standardised[None]).norm(dim=-1)
        assert distance.min(1).values.max() < 1e-3
    assert torch.allclose(
        head.embed_image(tokens[:, 0]),
        F.normalize(head.img_proj(tokens[:, 0]), dim=-1))
    sum(losses.values()).backward()
    assert bn.weight.grad.abs().sum() > 0
    # At test time the running statistics, and pred_tokens (what the ITM
    # re-rank reads) are the tokens after the neck.
    head.eval()
    running = (tokens - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps)
    out = head.predict(tokens, None, samples([0, 0, 1, 2]))
    assert torch.allclose(out[2].pred_tokens, running[2], atol=1e-4)
    assert torch.allclose(
        out[2].pred_feature,
        F.normalize(head.img_proj(tokens[2, 0]), dim=0),
        atol=1e-6)


def test_itm_score_is_the_match_logit_of_the_fusion():
    head = build_head().eval()
    text, mask = torch.randn(3, 4, 16), torch.tensor([[1, 1, 1, 0]] * 3)
    image = torch.randn(3, 5, 8)
    scores = head.itm_score(text, mask, image)
    fused = head.fusion_encoder(text, mask.bool(), image)
    assert scores.shape == (3, )
    assert torch.allclose(scores, head.itm_head(fused[:, 0])[:, 1])


def test_errors():
    head = ALBEFT2IHead(
        img_channels=8, text_channels=16, fusion_encoder=FUSION)
    with pytest.raises(RuntimeError, match='bind_text_encoder'):
        head.loss(torch.randn(2, 5, 8), TEXTS[:2], samples([0, 1]))
    with pytest.raises(ValueError, match='text_channels=16'):
        ALBEFT2IHead(
            img_channels=8,
            text_channels=16,
            fusion_encoder=dict(FUSION, embed_dims=8))
    head = build_head()
    with pytest.raises(ValueError, match='2 images, 3 captions'):
        head.loss(torch.randn(2, 5, 8), TEXTS[:3], samples([0, 1]))
    with pytest.raises(RuntimeError, match='already'):
        head.bind_text_encoder(head.text_encoder)


def test_temperature_range_clamps_before_the_forward():
    head = build_head(temperature_range=(0.05, 0.5))
    with torch.no_grad():
        head.temp.fill_(0.01)
    head.loss(torch.randn(4, 5, 8), TEXTS, samples([0, 0, 1, 2]))
    assert head.temp.item() == pytest.approx(0.05)
    official = build_head()  # no clamp by default, as the official code
    with torch.no_grad():
        official.temp.fill_(0.01)
    official.loss(torch.randn(4, 5, 8), TEXTS, samples([0, 0, 1, 2]))
    assert official.temp.item() == pytest.approx(0.01)


def test_losses_are_float32_under_mixed_precision():
    head = build_head()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = head.loss(torch.randn(4, 5, 8), TEXTS, samples([0, 0, 1, 2]))
    for key, value in losses.items():
        assert value.dtype == torch.float32 and torch.isfinite(value), key
    assert head.image_queue.dtype == torch.float32
    sum(losses.values()).backward()
    assert head.temp.grad is not None
