"""tools/dist_train.sh and tools/dist_test.sh with 2 CPU processes (gloo)."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'baseline',
                  'baseline_vit-tiny_synth-omnireid-tiny.py')


def run(command, env=None):
    result = subprocess.run(
        command,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env=env)
    assert result.returncode == 0, \
        result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.slow
def test_two_process_train_and_test_match_single_process_test(
        synth_tiny_root, tmp_path, free_port):
    options = [
        'model.backbone.arch.num_layers=1',
        f'train_dataloader.dataset.data_root={synth_tiny_root}',
        f'test_dataloader.dataset.datasets.0.data_root={synth_tiny_root}',
        f'test_dataloader.dataset.datasets.1.data_root={synth_tiny_root}',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
    ]
    work_dir = str(tmp_path / 'work')
    env = dict(os.environ, PORT=str(free_port()))
    run([
        'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir,
        '--no-validate', '--cfg-options', 'train_cfg.max_iters=2',
        'default_hooks.checkpoint.interval=2', *options
    ],
        env=env)
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    assert osp.exists(checkpoint)

    dist_out, single_out = str(tmp_path / 'dist.json'), str(tmp_path /
                                                            'single.json')
    env['PORT'] = str(free_port())
    run([
        'bash', 'tools/dist_test.sh', CONFIG, checkpoint, '2', '--work-dir',
        work_dir, '--out', dist_out, '--cfg-options', *options
    ],
        env=env)
    run([
        sys.executable, 'tools/test.py', CONFIG, checkpoint, '--work-dir',
        work_dir, '--out', single_out, '--cfg-options', *options
    ])
    assert json.load(open(dist_out)) == json.load(open(single_out))


def trained_parameters(checkpoint):
    """The trained weights of a checkpoint (no BN running statistics, which
    each rank keeps for its own batches)."""
    from mmreid_instruct.engine import load_checkpoint_file
    return {
        k: v
        for k, v in load_checkpoint_file(checkpoint)['state_dict'].items()
        if 'running_' not in k and 'num_batches_tracked' not in k
    }


@pytest.mark.slow
@pytest.mark.parametrize('split_across_ranks', [True, False])
def test_two_process_all_tasks_mode_matches_one_process(
        synth_tiny_root, tmp_path, free_port, small_all_tasks_cfg,
        split_across_ranks):
    """Two gloo processes in the all-tasks mode (DDP with
    find_unused_parameters, gradients synchronised in the last backward
    pass only) train the weights that one process trains on the same
    batches: with split_across_ranks the step's batches are dealt out
    (rank 0: trad then t2i, so its last pass leaves the ReID head unused;
    rank 1: ctcc); without it each rank takes its own batch of every list,
    which one process does with two batches of every list."""
    configs = {}
    for name, shares in (('dist', 1), ('single',
                                       1 if split_across_ranks else 2)):
        cfg = small_all_tasks_cfg(
            synth_tiny_root,
            tmp_path / name,
            max_iters=2,
            shares=shares,
            split_across_ranks=split_across_ranks)
        assert cfg.find_unused_parameters
        configs[name] = str(tmp_path / f'{name}.py')
        cfg.dump(configs[name])
    env = dict(os.environ, PORT=str(free_port()), OMP_NUM_THREADS='1')
    run([
        'bash', 'tools/dist_train.sh', configs['dist'], '2', '--work-dir',
        str(tmp_path / 'dist')
    ],
        env=env)
    run([
        sys.executable, 'tools/train.py', configs['single'], '--work-dir',
        str(tmp_path / 'single')
    ])
    dist = trained_parameters(str(tmp_path / 'dist' / 'iter_2.pth'))
    single = trained_parameters(str(tmp_path / 'single' / 'iter_2.pth'))
    assert dist.keys() == single.keys()
    # SGD: the weights move by lr x gradient, so they check the gradients.
    for k in dist:
        torch.testing.assert_close(dist[k], single[k], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('script, args', [
    ('dist_train.sh', [CONFIG]),
    ('dist_train.sh', [CONFIG, '0']),
    ('dist_train.sh', [CONFIG, 'two']),
    ('dist_train.sh', [CONFIG, '--no-validate']),
    ('dist_train.sh', []),
    ('dist_test.sh', [CONFIG, 'ckpt.pth']),
    ('dist_test.sh', [CONFIG, 'ckpt.pth', '0']),
    ('dist_test.sh', [CONFIG, 'ckpt.pth', '-1']),
])
def test_bad_process_count_is_a_usage_error_before_torch(
        tmp_path, script, args):
    # A fake python on PATH records whether the script got that far.
    marker = tmp_path / 'python_started'
    fake = tmp_path / 'bin' / 'python'
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\ntouch {marker}\n')
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f'{fake.parent}:{os.environ["PATH"]}')
    result = subprocess.run(['bash', osp.join('tools', script), *args],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=60,
                            env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(f'Usage: bash tools/{script} CONFIG')
    assert 'a whole number of processes' in result.stderr
    assert not marker.exists()


def train_options(synth_tiny_root, work_dir):
    """A 1-layer baseline trained for 2 iterations, no validation."""
    return [
        '--work-dir', work_dir, '--no-validate', '--cfg-options',
        'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=2',
        'model.backbone.arch.num_layers=1',
        f'train_dataloader.dataset.data_root={synth_tiny_root}',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False'
    ]


@pytest.mark.slow
def test_two_nodes_of_one_process_equal_one_node_of_two(
        synth_tiny_root, tmp_path, free_port):
    from mmreid_instruct.engine.runner import load_checkpoint_file

    # Two "nodes" on this host: NNODES=2, NODE_RANK 0 and 1, one process
    # each, meeting at 127.0.0.1 (gloo on CPU).
    nodes_dir = str(tmp_path / 'nodes')
    # torchrun sets one thread per process only when a node runs several;
    # the same thread count on both sides keeps the math kernels' rounding.
    threads = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    env = dict(
        threads, NNODES='2', MASTER_ADDR='127.0.0.1', PORT=str(free_port()))
    command = [
        'bash', 'tools/dist_train.sh', CONFIG, '1',
        *train_options(synth_tiny_root, nodes_dir)
    ]
    nodes = [
        subprocess.Popen(
            command,
            cwd=REPO,
            env=dict(env, NODE_RANK=str(rank)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True) for rank in (0, 1)
    ]
    for node in nodes:
        out, _ = node.communicate(timeout=600)
        assert node.returncode == 0, out[-3000:]

    one_dir = str(tmp_path / 'one')
    run([
        'bash', 'tools/dist_train.sh', CONFIG, '2',
        *train_options(synth_tiny_root, one_dir)
    ],
        env=dict(threads, PORT=str(free_port())))

    two_nodes = load_checkpoint_file(osp.join(nodes_dir, 'iter_2.pth'))
    one_node = load_checkpoint_file(osp.join(one_dir, 'iter_2.pth'))
    assert two_nodes['state_dict'].keys() == one_node['state_dict'].keys()
    for key, value in one_node['state_dict'].items():
        assert torch.equal(two_nodes['state_dict'][key], value), key
    assert two_nodes['meta']['iter'] == one_node['meta']['iter'] == 2
