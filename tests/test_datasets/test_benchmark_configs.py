"""Every benchmark dataset config builds its datasets (on a fake tree),
runs its pipelines and builds its evaluators; variants differ from their
benchmark's config only where they should."""
import os.path as osp

import fake_trees as ft
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmreid_instruct.datasets  # noqa: F401 (registers transforms)
import mmreid_instruct.evaluation  # noqa: F401 (registers metrics)
from mmreid_instruct.datasets.reid_concat_dataset import with_defaults
from mmreid_instruct.registry import DATASETS, METRICS

CONFIG_DIR = osp.join(
    osp.dirname(__file__), '..', '..', 'configs', '_base_', 'datasets')

CONFIGS = {
    'market1501': ft.make_market1501,
    'dukemtmc_reid': ft.make_dukemtmc_reid,
    'msmt17': ft.make_msmt17,
    'msmt17_v2': lambda root: ft.make_msmt17(root, 'v2'),
    'cuhk03_labeled': ft.make_cuhk03_np,
    'cuhk03_detected': ft.make_cuhk03_mat,
    'prcc': ft.make_prcc,
    'ltcc': ft.make_ltcc,
    'vc_clothes': ft.make_vc_clothes,
    'llcm': ft.make_llcm,
    'sysu_mm01': ft.make_sysu_mm01,
    'sysu_mm01_indoor': ft.make_sysu_mm01,
    'cuhk_pedes': ft.make_cuhk_pedes,
    'icfg_pedes': ft.make_icfg_pedes,
    'rstp_reid': ft.make_rstp_reid,
}

# Variant: (its benchmark's config, the dataset argument it changes).
VARIANTS = {
    'msmt17_v2': ('msmt17', 'version', 'v2'),
    'cuhk03_detected': ('cuhk03_labeled', 'variant', 'detected'),
    'sysu_mm01_indoor': ('sysu_mm01', 'mode', 'indoor'),
}


def load(name):
    return Config.fromfile(osp.join(CONFIG_DIR, f'{name}.py'))


def dataset_configs(dataset_cfg):
    """The configs of the datasets a loader builds (defaults applied)."""
    cfg = dataset_cfg.to_dict()
    if 'datasets' not in cfg:
        return [cfg]
    return with_defaults(cfg['datasets'], cfg.get('defaults'))


def set_root(dataset_cfg, root):
    for cfg in dataset_cfg.get('datasets', [dataset_cfg]):
        cfg['data_root'] = root


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_config_builds(tmp_path, name):
    CONFIGS[name](tmp_path)
    cfg = load(name)
    with DefaultScope.overwrite_default_scope('mmreid_instruct'):
        check_config(cfg, str(tmp_path))


def check_config(cfg, root):
    datasets = {}
    for loader in ('train_dataloader', 'test_dataloader'):
        set_root(cfg[loader].dataset, root)
        dataset = datasets[loader] = DATASETS.build(cfg[loader].dataset)
        assert len(dataset) > 0
        # The first and last samples: a query and a gallery image (or a
        # caption query and a gallery image for text benchmarks).
        for index in (0, len(dataset) - 1):
            sample = dataset[index]
            if sample['data_samples'].get('img_path') is not None:
                assert tuple(sample['inputs'].shape[-2:]) == (256, 128)
    assert [ds.subset for ds in dataset.datasets] == ['query', 'gallery']
    # The test sets are of the benchmark's dataset class.
    assert {type(ds)
            for ds in dataset.datasets
            } == {type(datasets['train_dataloader'])}
    evaluators = cfg.test_evaluator
    missing = []
    for metric in (evaluators
                   if isinstance(evaluators, list) else [evaluators]):
        if METRICS.get(metric['type']) is None:
            missing.append(metric['type'])
        else:
            METRICS.build(metric)
    if missing:
        pytest.skip(f'metrics {missing} are not implemented yet')


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_val_is_test(name):
    """A config that changes its test loader or evaluator changes the val
    ones too (mmengine evaluates the base's `val_dataloader =
    test_dataloader` in the base)."""
    cfg = load(name)
    assert cfg.val_dataloader == cfg.test_dataloader
    assert cfg.val_evaluator == cfg.test_evaluator


@pytest.mark.parametrize('name', sorted(VARIANTS))
def test_variant_changes_only_its_argument(name):
    benchmark, key, value = VARIANTS[name]
    variant_cfg, benchmark_cfg = load(name), load(benchmark)
    for loader in ('train_dataloader', 'test_dataloader'):
        expected = dataset_configs(benchmark_cfg[loader].dataset)
        for dataset in expected:
            if key in dataset:
                dataset[key] = value
        assert dataset_configs(variant_cfg[loader].dataset) == expected
    assert all(
        dataset[key] == value
        for dataset in dataset_configs(variant_cfg.test_dataloader.dataset))


EXPECTED_KEYS = {
    'prcc': ['same/mAP', 'cross/mAP'],
    'ltcc': ['general/mAP', 'cc/mAP'],
    'vc_clothes': ['all/mAP', 'sc/mAP', 'cc/mAP'],
    'llcm': ['vi/ir2vis/mAP', 'vi/vis2ir/mAP'],
    'sysu_mm01': ['all/mAP'],
    'cuhk_pedes': ['t2i/mAP'],
}


@pytest.mark.parametrize('name', sorted(EXPECTED_KEYS))
def test_protocol_keys(tmp_path, name):
    """The test set of a config, with perfect features (one-hot pids), gives
    every configured result, each at 100%."""
    CONFIGS[name](tmp_path)
    cfg = load(name)
    with DefaultScope.overwrite_default_scope('mmreid_instruct'):
        for ds in cfg.test_dataloader.dataset.datasets:
            ds.data_root = str(tmp_path)
            ds.pipeline = []
        dataset = DATASETS.build(cfg.test_dataloader.dataset)
        samples = []
        for part in dataset.datasets:
            for i in range(len(part)):
                sample = part.get_data_info(i)
                feat = torch.zeros(1000)
                feat[sample['pid'] % 1000] = 1
                samples.append(dict(sample, pred_feature=feat))
        evaluators = cfg.test_evaluator
        metrics = {}
        for metric_cfg in (evaluators
                           if isinstance(evaluators, list) else [evaluators]):
            metric = METRICS.build(metric_cfg)
            metric.process({}, samples)
            metrics.update(metric.evaluate(len(samples)))
    for key in EXPECTED_KEYS[name]:
        assert metrics[key] == pytest.approx(100.0), key
