import pytest
import torch

from mmreid_instruct.models.data_preprocessors import ReIDDataPreprocessor
from mmreid_instruct.structures import ReIDDataSample


def test_normalises_converts_to_rgb_and_stacks():
    pre = ReIDDataPreprocessor(mean=(1., 2., 3.), std=(2., 2., 2.))
    img = torch.stack([torch.full((4, 2), v) for v in (10, 20, 30)]).byte()
    out = pre(dict(inputs=[img, img], data_samples=[ReIDDataSample()] * 2))
    assert out['inputs'].shape == (2, 3, 4, 2)
    # BGR (10, 20, 30) -> RGB (30, 20, 10), then (x - mean) / std
    assert out['inputs'][0, :, 0, 0].tolist() == [14.5, 9.0, 3.5]


def test_caption_only_batch_gives_no_inputs():
    pre = ReIDDataPreprocessor()
    out = pre(dict(inputs=[None, None], data_samples=[ReIDDataSample()] * 2))
    assert out['inputs'] is None


def test_mixed_batch_is_an_error():
    pre = ReIDDataPreprocessor()
    img = torch.zeros(3, 4, 2, dtype=torch.uint8)
    with pytest.raises(ValueError, match='mixes images and caption'):
        pre(dict(inputs=[img, None], data_samples=[ReIDDataSample()] * 2))


def test_instruction_images_are_normalised_too():
    pre = ReIDDataPreprocessor(
        mean=(0., 0., 0.), std=(255., 255., 255.), to_rgb=False)
    sample = ReIDDataSample()
    sample.instruction_img = torch.full((3, 2, 2), 255, dtype=torch.uint8)
    img = torch.zeros(3, 4, 2, dtype=torch.uint8)
    out = pre(dict(inputs=[img], data_samples=[sample]))
    assert torch.allclose(out['data_samples'][0].instruction_img,
                          torch.ones(3, 2, 2))


def test_train_instruction_mean_std_only_in_training():
    pre = ReIDDataPreprocessor(
        mean=(0., 0., 0.),
        std=(255., 255., 255.),
        to_rgb=True,
        train_instruction_mean=(10., 20., 30.),
        train_instruction_std=(2., 4., 5.))
    img = torch.stack([torch.full((4, 2), v) for v in (10, 20, 30)]).byte()

    def run(training):
        sample = ReIDDataSample()
        sample.instruction_img = torch.stack(
            [torch.full((2, 2), v) for v in (50, 60, 70)]).byte()
        out = pre(dict(inputs=[img], data_samples=[sample]), training)
        clothes = out['data_samples'][0].instruction_img
        return out['inputs'][0, :, 0, 0], clothes[:, 0, 0]

    person, clothes = run(True)
    # BGR (50, 60, 70) -> RGB (70, 60, 50), then the training mean/std.
    assert clothes.tolist() == [30., 10., 4.]
    assert torch.allclose(person, torch.tensor([30., 20., 10.]) / 255)
    _, clothes = run(False)  # testing: the mean/std of the images
    assert torch.allclose(clothes, torch.tensor([70., 60., 50.]) / 255)


def test_train_instruction_mean_and_std_go_together():
    with pytest.raises(ValueError, match='together'):
        ReIDDataPreprocessor(train_instruction_mean=(1., 2., 3.))
    with pytest.raises(ValueError, match='3 values'):
        ReIDDataPreprocessor(
            train_instruction_mean=(1., 2.), train_instruction_std=(1., 2.))
