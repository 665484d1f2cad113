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
