import functools
import http.server
import json
import os
import os.path as osp
import socket
import subprocess
import sys
import threading

import pytest

# Let every test import the shared helpers of this folder (script_loader)
# whether or not the test folders are packages.
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG_ROOT = osp.join(REPO_ROOT, 'configs')
BASELINE_CONFIG = osp.join(CONFIG_ROOT, 'baseline',
                           'baseline_vit-tiny_synth-omnireid-tiny.py')


@pytest.fixture(scope='session')
def synth_tiny_root(tmp_path_factory):
    """SynthOmniReID `tiny`, generated once per test session."""
    from mmreid_instruct.synth import generate_synth_omnireid
    root = str(tmp_path_factory.mktemp('synth') / 'synth_omnireid_tiny')
    generate_synth_omnireid(root, preset='tiny', seed=0)
    return root


@pytest.fixture(scope='session')
def small_baseline_cfg():
    """A function building the baseline config shrunk for tests."""
    return build_small_baseline_cfg


def build_small_baseline_cfg(data_root,
                             work_dir,
                             max_iters=4,
                             num_workers=0,
                             checkpoint_interval=2):
    """The baseline config shrunk for tests: a 2-layer ViT, no validation,
    checkpoints every ``checkpoint_interval`` iterations."""
    from mmengine.config import Config
    cfg = Config.fromfile(BASELINE_CONFIG)
    cfg.work_dir = str(work_dir)
    cfg.model.backbone.arch.num_layers = 2
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = 10**9
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=checkpoint_interval)
    cfg.default_hooks.logger.interval = 1
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].num_workers = num_workers
        cfg[loader].persistent_workers = num_workers > 0
    cfg.train_dataloader.dataset.data_root = data_root
    for dataset in cfg.test_dataloader.dataset.datasets:
        dataset.data_root = data_root
    cfg.val_dataloader = cfg.test_dataloader
    cfg.val_cfg = None
    cfg.val_dataloader = None
    cfg.val_evaluator = None
    cfg.log_level = 'WARNING'
    return cfg


ALL_TASKS_CONFIG = osp.join(CONFIG_ROOT, 'irm',
                            'irm_vit-tiny_all-tasks_synth-omnireid-tiny.py')


@pytest.fixture(scope='session')
def small_all_tasks_cfg():
    """A function building the all-tasks IRM config shrunk for tests."""
    return build_small_all_tasks_cfg


def build_small_all_tasks_cfg(data_root,
                              work_dir,
                              max_iters=2,
                              checkpoint_interval=2,
                              tasks=('trad', 'ctcc', 't2i'),
                              sgd=True,
                              **batch_sampler):
    """The tiny all-tasks IRM config shrunk for tests: 1-layer ViTs without
    drop path (no randomness in the forward pass), the training lists of
    ``tasks`` with 4x2 batches (``batch_sampler`` overrides the batch
    sampler's arguments), no validation; with ``sgd``, plain SGD (lr 0.1,
    constant), whose steps are proportional to the gradients."""
    from mmengine.config import Config
    cfg = Config.fromfile(ALL_TASKS_CONFIG)
    cfg.work_dir = str(work_dir)
    model = cfg.model
    for vit in (model.backbone, model.image_instruction_encoder.backbone):
        vit.arch.num_layers = 1
        vit.drop_path_rate = 0.
    loader = cfg.train_dataloader
    loader.dataset.defaults.data_root = data_root
    loader.dataset.datasets = [
        d for d in loader.dataset.datasets if d.task in tasks
    ]
    loader.batch_sampler.update(num_pids=4, num_instances=2, **batch_sampler)
    loader.num_workers = 0
    loader.persistent_workers = False
    cfg.test_dataloader.dataset.defaults.data_root = data_root
    if sgd:
        cfg.optim_wrapper = dict(
            type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))
        cfg.param_scheduler = []
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = 10**9
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=checkpoint_interval)
    cfg.default_hooks.logger.interval = 1
    cfg.val_cfg = None
    cfg.val_dataloader = None
    cfg.val_evaluator = None
    cfg.log_level = 'WARNING'
    return cfg


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def free_port():
    """A function returning a free TCP port on the loopback interface."""
    return _free_port


@pytest.fixture
def run_two_ranks(tmp_path):
    """A function running ``worker.py RANK 2 PORT OUT_JSON`` as two gloo
    processes and returning the two JSON outputs (rank 0 first)."""

    def run(worker):
        port = _free_port()
        env = dict(
            os.environ,
            PYTHONPATH=REPO_ROOT + os.pathsep +
            os.environ.get('PYTHONPATH', ''),
            OMP_NUM_THREADS='1')
        outs = [str(tmp_path / f'rank{r}.json') for r in range(2)]
        procs = [
            subprocess.Popen(
                [sys.executable, worker,
                 str(r), '2',
                 str(port), outs[r]],
                env=env,
                cwd=str(tmp_path),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT) for r in range(2)
        ]
        logs = [p.communicate(timeout=120)[0].decode() for p in procs]
        for p, log in zip(procs, logs):
            assert p.returncode == 0, log
        return [json.load(open(f)) for f in outs]

    return run


class _CountingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder and records the path of every GET."""

    def do_GET(self):
        self.server.requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def serve_folder(monkeypatch):
    """A function serving a folder over HTTP on 127.0.0.1 (a free port) in
    a thread: ``serve_folder(folder) -> (base_url, requests)``, ``requests``
    being the list of paths fetched so far. Servers stop after the test."""
    for name in ('http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY'):
        monkeypatch.delenv(name, raising=False)
    servers = []

    def start(folder):
        handler = functools.partial(_CountingHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
        server.requests = []
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f'http://127.0.0.1:{server.server_address[1]}/', server.requests

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
