import copy

import pytest
import torch

from mmreid_instruct.registry import MODELS
from mmreid_instruct.structures import ReIDDataSample
from mmreid_instruct.utils import register_all_modules

register_all_modules()

NUM_CLASSES = {
    'market1501/trad': 4,
    'ltcc/cc': 4,
    'ltcc/ctcc': 4,
    'sysu_mm01/vi': 4,
    'cuhk_pedes/li': 4
}
TASK_DATASET = dict(
    trad='market1501',
    cc='ltcc',
    ctcc='ltcc',
    vi='sysu_mm01',
    li='cuhk_pedes',
    t2i='cuhk_pedes')

MODEL = dict(
    type='InstructReID',
    backbone=dict(
        type='mmpretrain.VisionTransformer',
        arch=dict(
            embed_dims=64, num_layers=2, num_heads=4,
            feedforward_channels=128),
        img_size=(32, 16),
        patch_size=8,
        out_type='raw'),
    text_encoder=dict(
        type='TextInstructionEncoder',
        tokenizer='char',
        max_length=40,
        config=dict(
            hidden_size=48,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=64,
            hidden_dropout_prob=0.,
            attention_probs_dropout_prob=0.)),
    image_instruction_encoder=dict(
        type='ImageInstructionEncoder',
        backbone=dict(
            type='mmpretrain.VisionTransformer',
            arch=dict(
                embed_dims=32,
                num_layers=1,
                num_heads=2,
                feedforward_channels=64),
            img_size=32,
            patch_size=16,
            out_type='raw')),
    fusion=dict(type='EditingFusion', num_layers=2, num_heads=4),
    head=dict(type='InstructReIDHead', num_classes=NUM_CLASSES),
    t2i_head=dict(type='T2IHead', embed_dims=16))

TEXTS = [
    'wears the same clothes', 'ignore the clothes', 'a woman in a red coat',
    'find the infrared image'
]


def build(**overrides):
    torch.manual_seed(0)
    cfg = copy.deepcopy(MODEL)
    cfg.update(overrides)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


@pytest.fixture(scope='module')
def model():
    return build()


@pytest.fixture(scope='module')
def blind():
    return build(instruction_blind=True)


def batch(task,
          pids=(0, 0, 1, 1, 2, 2),
          texts=None,
          images=True,
          instruction_images=False,
          seed=0):
    gen = torch.Generator().manual_seed(seed)
    inputs, data = [], []
    for i, pid in enumerate(pids):
        sample = ReIDDataSample(
            metainfo=dict(dataset_name=TASK_DATASET[task])).set_pid(pid)
        sample.set_task(task)
        text = (texts
                or TEXTS)[(pid if texts is None else i) % len(texts or TEXTS)]
        sample.set_instruction(text)
        if instruction_images:
            sample.set_field(
                torch.randint(
                    0, 256, (3, 32, 32), generator=gen, dtype=torch.uint8),
                'instruction_img')
        data.append(sample)
        inputs.append(
            torch.
            randint(0, 256, (
                3, 32,
                16), generator=gen, dtype=torch.uint8) if images else None)
    return dict(inputs=inputs, data_samples=data)


def grads_after_step(model, data):
    """The logged losses and the parameters with a non-zero gradient after
    one training forward and backward (``train_step`` without the step)."""
    model.train()
    model.zero_grad()
    data = model.data_preprocessor(copy.deepcopy(data), True)
    loss, log_vars = model.parse_losses(model(**data, mode='loss'))
    loss.backward()
    log_vars = {k: float(v.detach()) for k, v in log_vars.items()}
    got = {
        k
        for k, p in model.named_parameters()
        if p.grad is not None and p.grad.abs().sum() > 0
    }
    return log_vars, got


def names(model, *prefixes):
    return {
        k
        for k, p in model.named_parameters()
        if p.requires_grad and k.startswith(prefixes)
    }


@pytest.mark.parametrize('task', ['trad', 'cc', 'vi', 'li', 'ctcc'])
def test_one_training_iteration_per_reid_task(model, task):
    data = batch(task, instruction_images=task == 'ctcc')
    log_vars, got = grads_after_step(model, data)
    assert 0 < log_vars['loss'] < float('inf')
    parts = [v for k, v in log_vars.items() if k.startswith('loss_')]
    assert len(parts) == 6
    assert log_vars['loss'] == pytest.approx(sum(parts), rel=1e-5)
    key = f'{TASK_DATASET[task]}/{task}'
    encoder = ('image_instruction_encoder', 'instr_img_proj') \
        if task == 'ctcc' else ('text_encoder', )
    should = (
        names(model, 'backbone', 'fusion', 'head.neck', *encoder)
        | names(model, f'head.classifiers.{key}.'))
    assert should <= got
    assert not got & names(model, 't2i_head')
    others = {
        k
        for k in names(model, 'head.classifiers')
        if not k.startswith(f'head.classifiers.{key}.')
    }
    assert len(others) == 12 and not got & others
    if task == 'ctcc':
        # The 32-d image instruction tokens are projected to the 48-d text
        # width the fusion was built for.
        assert isinstance(model.instr_img_proj, torch.nn.Linear)
        assert not got & names(model, 'text_encoder')
    else:
        assert not got & names(model, 'image_instruction_encoder')


def test_t2i_training_iteration(model):
    log_vars, got = grads_after_step(model, batch('t2i'))
    assert set(k for k in log_vars if 'loss' in k) == {'loss', 'loss_t2i'}
    assert 0 < log_vars['loss'] < float('inf')
    assert names(model, 't2i_head') <= got
    assert got & names(model, 'backbone') and got & names(
        model, 'text_encoder')
    assert not got & names(model, 'head', 'fusion')


def test_loss_matches_a_recomputation_from_the_parts(model):
    model.train()
    data = model.data_preprocessor(batch('cc'), True)
    losses = model(**data, mode='loss')
    tokens = model.backbone(data['inputs'])[-1]
    instr = model.text_encoder([s.instruction for s in data['data_samples']])
    u, v = model.fusion(tokens, model.text_proj(instr['tokens']),
                        instr['mask'])
    instr_cls = instr['cls']
    expected = model.head.loss(tokens[:, 0], u, v, instr_cls,
                               data['data_samples'])
    for key in expected:
        assert torch.allclose(losses[key], expected[key], atol=1e-6), key


def predict(model, data):
    model.eval()
    with torch.no_grad():
        return torch.stack(
            [s.pred_feature for s in model.val_step(copy.deepcopy(data))])


@pytest.mark.parametrize('task', ['trad', 'cc', 'vi', 'li', 'ctcc'])
def test_predict_dimension(model, blind, task):
    data = batch(task, instruction_images=task == 'ctcc')
    assert predict(model, data).shape == (6, 2 * 64)
    assert predict(blind, data).shape == (6, 64)


def test_predict_t2i_images_and_caption_queries(model, blind):
    feats = predict(model, batch('t2i'))
    captions = predict(model, batch('t2i', images=False))
    assert feats.shape == captions.shape == (6, 16)
    assert torch.allclose(captions.norm(dim=1), torch.ones(6))
    with torch.no_grad():
        text = model.t2i_head.embed_text(
            model.text_encoder([TEXTS[p] for p in (0, 0, 1, 1, 2, 2)])['cls'])
    assert torch.allclose(captions, text, atol=1e-6)
    # The blind ablation keeps the caption encoder for t2i.
    assert predict(blind, batch('t2i', images=False)).shape == (6, 16)


def test_features_follow_the_instruction_unless_blind(model, blind):
    one = batch('li', texts=['a man in a blue shirt'] * 6)
    other = batch('li', texts=['a woman with a black bag'] * 6)
    assert not torch.allclose(
        predict(model, one), predict(model, other), atol=1e-4)
    assert torch.equal(predict(blind, one), predict(blind, other))
    assert blind.fusion is None and blind.image_instruction_encoder is None
    # Blind training uses g alone, with the batch-hard triplet.
    log_vars, got = grads_after_step(blind, one)
    assert {k
            for k in log_vars
            if k.startswith('loss_')} == {'loss_cls_g', 'loss_triplet_g'}
    assert not got & names(blind, 'text_encoder')


def test_padding_does_not_change_the_features(model):
    short = 'a man in a blue shirt'
    alone = batch('li', pids=(0, 1), texts=[short, short])
    padded = batch(
        'li',
        pids=(0, 1),
        texts=[short, short + ' carrying a very long black bag'])
    assert torch.allclose(
        predict(model, alone)[0], predict(model, padded)[0], atol=1e-5)


def test_batch_errors(model):
    data = batch('cc')
    data['data_samples'][0].set_task('trad')
    with pytest.raises(ValueError, match='one task per batch'):
        model.val_step(data)
    data = batch('cc')
    data['data_samples'][0].set_instruction(None)
    with pytest.raises(ValueError, match='needs an instruction'):
        model.val_step(data)
    with pytest.raises(ValueError, match='no images'):
        model.val_step(batch('cc', images=False))
    with pytest.raises(RuntimeError, match='Invalid mode'):
        model(None, batch('cc')['data_samples'], mode='features')
    with pytest.raises(ValueError, match='t2i_head'):
        build(t2i_head=None).val_step(batch('t2i'))


def test_tensor_mode(model, blind):
    data = model.data_preprocessor(batch('trad'))
    model.eval()
    g, u, v = model(**data, mode='tensor')
    assert g.shape == u.shape == v.shape == (6, 64)
    (g_blind, ) = blind(**data, mode='tensor')
    assert g_blind.shape == (6, 64)


def test_encode_instructions_gives_tokens_mask_and_instr_cls(model):
    with torch.no_grad():
        out = model.encode_instructions(batch('li')['data_samples'])
    assert set(out) == {'instr_tokens', 'instr_mask', 'instr_cls'}
    assert out['instr_tokens'].shape[-1] == model.fusion.instr_dims
    assert out['instr_mask'].shape == out['instr_tokens'].shape[:2]
    # The CLS embedding of the text encoder, before any projection.
    assert out['instr_cls'].shape == (6, model.text_encoder.embed_dims)


def test_head_fusion_follows_the_model(model, blind):
    assert model.head.with_fusion
    assert model.head.fusion_channels == model.fusion.embed_dims == 64
    assert not blind.head.with_fusion and blind.head.fusion_channels is None
    # Repeating the fusion width is fine, contradicting the model is not.
    same = build(head=dict(MODEL['head'], fusion_channels=64))
    assert same.head.fusion_channels == 64
    with pytest.raises(ValueError, match='fusion_channels=8 .* 64 channels'):
        build(head=dict(MODEL['head'], fusion_channels=8))
    with pytest.raises(ValueError, match='fusion_channels=64 .* None'):
        build(
            instruction_blind=True,
            head=dict(MODEL['head'], fusion_channels=64))


ALBEF_T2I = dict(
    type='ALBEFT2IHead',
    embed_dims=16,
    queue_size=16,
    fusion_encoder=dict(
        type='CrossModalEncoder',
        num_layers=1,
        num_heads=2,
        feedforward_channels=32,
        drop_rate=0.,
        attn_drop_rate=0.))


@pytest.fixture(scope='module')
def albef():
    return build(t2i_head=ALBEF_T2I)


def test_albef_t2i_training_iteration(albef):
    log_vars, got = grads_after_step(albef, batch('t2i'))
    assert set(k for k in log_vars if 'loss' in k) == {
        'loss', 'loss_itc', 'loss_itm', 'loss_mlm', 'loss_mrtd'
    }
    assert 0 < log_vars['loss'] < float('inf')
    for part in ('fusion_encoder', 'img_proj', 'text_proj', 'temp', 'itm_head',
                 'mrtd_head', 'mlm_head'):
        assert names(albef, f't2i_head.{part}') <= got, part
    assert got & names(albef, 'backbone') and got & names(
        albef, 'text_encoder')
    momentum = {
        k
        for k, p in albef.named_parameters()
        if k.startswith('t2i_head.momentum_')
    }
    assert momentum and not momentum & got
    assert not any(p.requires_grad
                   for k, p in albef.named_parameters() if k in momentum)
    assert not got & names(albef, 'head', 'fusion')
    # The text encoder is bound, not duplicated in the state dict.
    keys = set(albef.state_dict())
    assert not any(k.startswith('t2i_head._text_encoder') for k in keys)
    assert albef.t2i_head.text_encoder is albef.text_encoder
    twin = copy.deepcopy(albef)
    assert twin.t2i_head.text_encoder is twin.text_encoder
    assert 't2i_head.momentum_text_encoder.embeddings.word_embeddings.' \
        'weight' in keys


def sgd_steps(model, steps, seed=0):
    optimizer = torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=0.1)
    model.train()
    for i in range(steps):
        torch.manual_seed(seed + i)
        data = model.data_preprocessor(
            copy.deepcopy(batch('t2i', seed=i)), True)
        loss, log_vars = model.parse_losses(model(**data, mode='loss'))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return {k: float(v.detach()) for k, v in log_vars.items()}


def test_albef_resume_is_exact():
    trained = build(t2i_head=ALBEF_T2I)
    sgd_steps(trained, 3)
    head = trained.t2i_head
    assert int(head.queue_ptr) == 2  # 3 x 6 samples in a 16-entry queue
    assert not torch.equal(head.momentum_text_proj.weight,
                           head.text_proj.weight)
    resumed = build(t2i_head=ALBEF_T2I)
    resumed.t2i_head.momentum_update()  # differs from the trained model
    resumed.load_state_dict(copy.deepcopy(trained.state_dict()))
    assert sgd_steps(trained, 1, seed=10) == sgd_steps(resumed, 1, seed=10)
    for (k, a), b in zip(trained.state_dict().items(),
                         resumed.state_dict().values()):
        assert torch.equal(a, b), k


def test_albef_predict_and_itm_scores(albef, model):
    albef.eval()
    with torch.no_grad():
        images = albef.val_step(copy.deepcopy(batch('t2i')))
        captions = albef.val_step(copy.deepcopy(batch('t2i', images=False)))
    assert images[0].pred_feature.shape == captions[0].pred_feature.shape \
        == (16, )
    assert images[0].pred_tokens.shape == (1 + 8, 64)  # CLS + 4 x 2 patches
    text = torch.stack([s.pred_tokens for s in captions[:3]])
    mask = torch.stack([s.pred_token_mask for s in captions[:3]])
    image = torch.stack([s.pred_tokens for s in images[3:]])
    with torch.no_grad():
        scores = albef.itm_scores(text, mask, image)
        expected = albef.t2i_head.itm_score(text, mask, image)
    assert scores.shape == (3, ) and torch.equal(scores, expected)
    with pytest.raises(ValueError, match="type='ALBEFT2IHead'"):
        model.itm_scores(text, mask, image)
