"""The command line and config loading shared by tools/train.py and
tools/test.py."""
import argparse
import os
import os.path as osp
from unittest import mock

import pytest

from mmreid_instruct.utils import runner_cli
from mmreid_instruct.utils.runner_cli import (build_runner, load_runner_config,
                                              parse_runner_args)


def tool_args(argv, monkeypatch):
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    return parse_runner_args(parser, 'logs', argv)


def write_config(tmp_path, data_root):
    path = tmp_path / 'my_config.py'
    path.write_text(
        'lr = 0.1\n'
        'train_dataloader = dict(dataset=dict(type="OmniReIDList", '
        f'data_root={str(data_root)!r}, list_file="train.txt", '
        'task="trad"))\n'
        'test_dataloader = dict(dataset=dict(type="SynthOmniReID", '
        f'data_root={str(tmp_path / "made_on_first_use")!r}))\n')
    return str(path)


def test_common_options_and_local_rank(monkeypatch):
    args = tool_args([
        'c.py', '--work-dir', 'w', '--launcher', 'pytorch', '--local-rank',
        '3', '--cfg-options', 'a.b=1', 'c=[1,2]'
    ], monkeypatch)
    assert (args.config, args.work_dir, args.launcher) == ('c.py', 'w',
                                                           'pytorch')
    assert args.cfg_options == {'a.b': 1, 'c': [1, 2]}
    assert os.environ['LOCAL_RANK'] == '3'
    # A rank set by the launcher is kept.
    monkeypatch.setenv('LOCAL_RANK', '1')
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parse_runner_args(parser, 'logs', ['c.py', '--local_rank', '5'])
    assert os.environ['LOCAL_RANK'] == '1'


def test_config_gets_command_line_in_order(tmp_path, monkeypatch):
    (tmp_path / 'lists').mkdir()
    (tmp_path / 'lists' / 'train.txt').write_text('')
    config = write_config(tmp_path, tmp_path / 'lists')

    def apply_tool_args(cfg, args):
        cfg.lr = 0.2
        cfg.tool_saw_launcher = cfg.launcher

    args = tool_args([config, '--cfg-options', 'lr=0.3'], monkeypatch)
    cfg = load_runner_config(args, apply_tool_args)
    assert cfg.lr == 0.3  # --cfg-options win over the tool's options
    assert cfg.tool_saw_launcher == 'none'
    assert cfg.work_dir == osp.join('./work_dirs', 'my_config')
    args = tool_args([config, '--work-dir', 'elsewhere'], monkeypatch)
    cfg = load_runner_config(args, apply_tool_args)
    assert cfg.lr == 0.2 and cfg.work_dir == 'elsewhere'


def test_missing_data_stop_before_building_and_name_the_config(
        tmp_path, monkeypatch):
    config = write_config(tmp_path, tmp_path / 'nowhere')
    args = tool_args([config], monkeypatch)
    with pytest.raises(SystemExit) as info:
        load_runner_config(args)
    message = str(info.value)
    assert message.startswith(f'{config}: The data this config reads are '
                              'missing (1 paths):')
    assert str(tmp_path / 'nowhere') in message
    # Only the test data are checked when the tool says so.
    assert load_runner_config(args, dataloaders=['test_dataloader']).lr == 0.1


def test_build_runner_uses_runner_type_when_given():
    with mock.patch.object(runner_cli.Runner, 'from_cfg') as from_cfg, \
            mock.patch.object(runner_cli.RUNNERS, 'build') as build:
        assert build_runner(dict(a=1)) is from_cfg.return_value
        assert build_runner(dict(runner_type='R')) is build.return_value
    from_cfg.assert_called_once_with(dict(a=1))
    build.assert_called_once_with(dict(runner_type='R'))


def test_misspelled_cfg_option_names_key_and_closest(tmp_path, monkeypatch):
    (tmp_path / 'lists').mkdir()
    (tmp_path / 'lists' / 'train.txt').write_text('a.jpg - 1 0 0\n')
    config = write_config(tmp_path, tmp_path / 'lists')
    with open(config, 'a') as f:
        f.write('train_cfg = dict(max_iters=10)\n')
    args = tool_args([config, '--cfg-options', 'trian_cfg.max_iters=2'],
                     monkeypatch)
    with pytest.raises(SystemExit) as info:
        load_runner_config(args)
    message = str(info.value)
    assert message.startswith(f'{config}: --cfg-options trian_cfg.max_iters')
    assert "did you mean 'train_cfg.max_iters'" in message
    assert '+trian_cfg.max_iters' in message  # how to add it on purpose
    # A key below a list item is checked too.
    args = tool_args(
        [config, '--cfg-options', 'train_dataloader.dataset.list_fil=x.txt'],
        monkeypatch)
    with pytest.raises(
            SystemExit,
            match="did you mean 'train_dataloader"
            ".dataset.list_file'"):
        load_runner_config(args)
    # '+' marks a key as new; existing keys, keys the runner reads and the
    # keys of the tool are accepted as before.
    args = tool_args([
        config, '--cfg-options', '+trian_cfg.max_iters=2', 'lr=0.5',
        'train_cfg.max_iters=3', 'load_from=x.pth', 'randomness.seed=1'
    ], monkeypatch)
    cfg = load_runner_config(args)
    assert cfg.trian_cfg.max_iters == 2 and cfg.lr == 0.5
    assert cfg.train_cfg.max_iters == 3 and cfg.load_from == 'x.pth'
    assert cfg.randomness.seed == 1


def test_unparsable_cfg_option_names_the_key(monkeypatch, capsys):
    for option in ('a.b=[1,2', 'novalue'):
        with pytest.raises(SystemExit) as info:
            tool_args(['c.py', '--cfg-options', option], monkeypatch)
        assert info.value.code == 2
        assert f'--cfg-options {option}' in capsys.readouterr().err


def test_dataset_without_type_names_its_place(tmp_path, monkeypatch):
    config = tmp_path / 'c.py'
    config.write_text(
        'test_dataloader = dict(dataset=dict(type="ReIDConcatDataset", '
        'datasets=[dict(type="SynthOmniReID"), dict(task="cc")]))\n')
    args = tool_args([str(config)], monkeypatch)
    with pytest.raises(SystemExit) as info:
        load_runner_config(args)
    assert str(info.value).startswith(
        f'{config}: test_dataloader.dataset.datasets[1] has no "type"')
