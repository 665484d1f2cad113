"""FeatureCache: keys, atomic writes, stale or broken files never reused."""
import os

import numpy as np
import pytest
import torch.nn as nn

from mmreid_instruct.apis.feature_cache import (FeatureCache, atomic_open,
                                                cache_parts, file_signature,
                                                hash_parts, weights_hash)

PATHS = ['a.png', 'b.png']


def test_round_trip_and_other_paths(tmp_path):
    cache = FeatureCache(str(tmp_path))
    feats = np.arange(6, dtype=np.float32).reshape(2, 3)
    file = cache.save('key', feats, PATHS)
    assert file == str(tmp_path / 'key.npz')
    np.testing.assert_array_equal(cache.load('key', PATHS), feats)
    assert cache.load('key', ['a.png', 'c.png']) is None
    assert cache.load('other', PATHS) is None


def test_a_broken_file_is_ignored(tmp_path):
    cache = FeatureCache(str(tmp_path))
    (tmp_path / 'key.npz').write_bytes(b'not a zip file')
    assert cache.load('key', PATHS) is None
    cache.save('key', np.zeros((2, 1), np.float32), PATHS)
    assert cache.load('key', PATHS).shape == (2, 1)


def test_a_failed_write_leaves_no_file(tmp_path):
    path = tmp_path / 'out.npz'
    with pytest.raises(RuntimeError):
        with atomic_open(str(path)) as f:
            f.write(b'partial')
            raise RuntimeError('interrupted')
    assert os.listdir(tmp_path) == []


def test_default_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv('MMREID_INSTRUCT_CACHE', raising=False)
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path))
    assert FeatureCache().cache_dir == str(tmp_path / 'mmreid_instruct' /
                                           'gallery_features')
    monkeypatch.setenv('MMREID_INSTRUCT_CACHE', str(tmp_path / 'x'))
    assert FeatureCache().cache_dir == str(tmp_path / 'x')


def test_key_changes_with_mtime_size_and_instruction(tmp_path):
    img = tmp_path / 'a.png'
    img.write_bytes(b'123')

    def key(text='t'):
        return hash_parts(
            dict(task='trad'), cache_parts([str(img)], [(text, None)]))

    first = key()
    assert key() == first
    assert key('other instruction') != first
    stat = img.stat()
    os.utime(img, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1000))
    assert key() != first
    assert file_signature(str(img))[1:] == [stat.st_mtime_ns + 1000, 3]
    mtime = key()
    img.write_bytes(b'1234')
    os.utime(img, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1000))
    assert key() != mtime  # same mtime, other size


def test_weights_hash_sees_buffers_and_names():
    a = nn.BatchNorm1d(2)
    before = weights_hash(a)
    a.running_mean += 1
    assert weights_hash(a) != before
    first, second = nn.Sequential(nn.Linear(2, 2)), nn.Sequential(
        nn.Identity(), nn.Linear(2, 2))
    second[1].load_state_dict(first[0].state_dict())  # '1.' vs '0.'
    assert weights_hash(first) != weights_hash(second)


def test_written_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        with atomic_open(str(tmp_path / 'a.txt'), 'w') as f:
            f.write('x')
    finally:
        os.umask(umask)
    assert (tmp_path / 'a.txt').stat().st_mode & 0o777 == 0o644
