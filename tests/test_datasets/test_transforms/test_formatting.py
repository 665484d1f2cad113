"""PackReIDInputs and image_to_tensor: what a record becomes."""
import numpy as np
import torch

from mmreid_instruct.datasets.transforms import PackReIDInputs, image_to_tensor
from mmreid_instruct.registry import TRANSFORMS
from mmreid_instruct.structures import ReIDDataSample


def image(height=4, width=2):
    return np.arange(
        height * width * 3, dtype=np.uint8).reshape(height, width, 3)


def test_image_to_tensor_is_chw_and_contiguous():
    img = image()
    tensor = image_to_tensor(img[:, ::-1])  # a non-contiguous view
    assert tensor.shape == (3, 4, 2) and tensor.is_contiguous()
    assert torch.equal(tensor,
                       torch.from_numpy(img[:, ::-1].copy()).permute(2, 0, 1))
    assert image_to_tensor(np.ones((4, 2), np.uint8)).shape == (1, 4, 2)


def test_labels_become_fields_and_bookkeeping_metainfo():
    img, clothes = image(), image(3, 3)
    packed = PackReIDInputs()(
        dict(
            img=img,
            img_path='a.png',
            img_shape=(4, 2),
            ori_shape=(4, 2),
            instruction_img=clothes,
            instruction_img_path='clothes.png',
            pid=7,
            camid=2,
            clothes_id=7001,
            modality='ir',
            task='sc',
            instruction='do not change clothes',
            subset='query',
            dataset_name='synth',
            sample_idx=11,
            unrelated='dropped'))
    assert torch.equal(packed['inputs'], image_to_tensor(img))
    sample = packed['data_samples']
    assert isinstance(sample, ReIDDataSample)
    assert (sample.pid, sample.camid, sample.clothes_id) == (7, 2, 7001)
    assert sample.modality == 'ir' and sample.task == 'trad'  # normalised
    assert sample.instruction == 'do not change clothes'
    assert torch.equal(sample.instruction_img, image_to_tensor(clothes))
    assert sample.metainfo == dict(
        sample_idx=11,
        img_path='a.png',
        instruction_img_path='clothes.png',
        subset='query',
        dataset_name='synth',
        ori_shape=(4, 2),
        img_shape=(4, 2))
    assert 'unrelated' not in sample


def test_caption_query_has_no_inputs():
    packed = PackReIDInputs()(
        dict(img_path=None, pid=3, task='t2i', instruction='a red coat'))
    assert packed['inputs'] is None
    sample = packed['data_samples']
    assert sample.instruction == 'a red coat' and sample.pid == 3
    assert 'camid' not in sample and 'instruction_img' not in sample
    assert sample.metainfo == dict(img_path=None)


def test_meta_keys_and_registry():
    transform = TRANSFORMS.build(
        dict(type='PackReIDInputs', meta_keys=['subset']))
    packed = transform(dict(img=image(), subset='train', img_path='a.png'))
    assert packed['data_samples'].metainfo == dict(subset='train')
    assert repr(transform) == "PackReIDInputs(meta_keys=('subset',))"
