"""Verified, cached downloads over a loopback HTTP server and file://."""
import hashlib
import http.server
import os
import pathlib
import threading

import pytest

from mmreid_instruct.utils.download import (ChecksumError, DownloadError,
                                            checkpoint_cache_dir,
                                            download_checkpoint,
                                            hash_in_file_name, is_download_url,
                                            sha256_of_file)

PAYLOAD = b'checkpoint bytes ' * 1000


def publish(folder, payload=PAYLOAD, stem='model_20260101'):
    """Write ``payload`` as ``<stem>-<sha8>.pth``; return name and sha."""
    sha256 = hashlib.sha256(payload).hexdigest()
    name = f'{stem}-{sha256[:8]}.pth'
    (folder / name).write_bytes(payload)
    return name, sha256


def test_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv('MMREID_INSTRUCT_HOME', str(tmp_path / 'home'))
    assert checkpoint_cache_dir() == str(tmp_path / 'home' / 'checkpoints')
    monkeypatch.delenv('MMREID_INSTRUCT_HOME')
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
    assert checkpoint_cache_dir() == str(tmp_path / 'xdg' / 'mmreid_instruct' /
                                         'checkpoints')
    monkeypatch.delenv('XDG_CACHE_HOME')
    monkeypatch.setenv('HOME', str(tmp_path))
    assert checkpoint_cache_dir() == str(tmp_path / '.cache' /
                                         'mmreid_instruct' / 'checkpoints')


def test_hash_in_file_name_and_url_kinds():
    assert hash_in_file_name('http://h/a/m_20260101-0123abcd.pth') == \
        '0123abcd'
    assert hash_in_file_name('m_20260101.pth') is None
    assert hash_in_file_name('m-XYZ12345.pth') is None
    assert is_download_url('file:///tmp/a.pth')
    assert not is_download_url('s3://bucket/a.pth')
    assert not is_download_url('/tmp/a.pth')


def test_sha256_of_file(tmp_path):
    path = tmp_path / 'f'
    path.write_bytes(PAYLOAD)
    assert sha256_of_file(str(path)) == hashlib.sha256(PAYLOAD).hexdigest()


def test_http_download_is_verified_and_cached(tmp_path, serve_folder):
    served = tmp_path / 'served'
    served.mkdir()
    name, _ = publish(served)
    base, requests = serve_folder(served)
    cache = tmp_path / 'cache'

    path = download_checkpoint(base + name, cache_dir=str(cache))
    assert path == str(cache / name)
    assert pathlib.Path(path).read_bytes() == PAYLOAD
    assert requests == ['/' + name]
    assert os.listdir(cache) == [name]

    # A cached file is used as it is, even if the server now has other
    # bytes, and without a request.
    (served / name).write_bytes(b'changed')
    assert download_checkpoint(base + name, cache_dir=str(cache)) == path
    assert download_checkpoint(
        base + name, cache_dir=str(cache), check_cached=True) == path
    assert requests == ['/' + name]


def test_corrupted_download_is_refused_and_not_cached(tmp_path, serve_folder):
    served = tmp_path / 'served'
    served.mkdir()
    name, sha256 = publish(served)
    corrupted = bytearray(PAYLOAD)
    corrupted[100] ^= 0xFF
    (served / name).write_bytes(bytes(corrupted))
    base, requests = serve_folder(served)
    cache = tmp_path / 'cache'

    with pytest.raises(ChecksumError) as error:
        download_checkpoint(base + name, cache_dir=str(cache))
    message = str(error.value)
    assert base + name in message
    assert sha256[:8] in message
    assert hashlib.sha256(bytes(corrupted)).hexdigest() in message
    assert os.listdir(cache) == []
    assert requests == ['/' + name]


def test_full_sha256_is_checked(tmp_path, serve_folder):
    served = tmp_path / 'served'
    served.mkdir()
    (served / 'plain.pth').write_bytes(PAYLOAD)
    base, requests = serve_folder(served)
    cache = tmp_path / 'cache'
    wrong = hashlib.sha256(b'other').hexdigest()
    with pytest.raises(ChecksumError, match=wrong):
        download_checkpoint(
            base + 'plain.pth', cache_dir=str(cache), sha256=wrong)
    assert os.listdir(cache) == []
    right = hashlib.sha256(PAYLOAD).hexdigest()
    path = download_checkpoint(
        base + 'plain.pth', cache_dir=str(cache), sha256=right.upper())
    assert pathlib.Path(path).read_bytes() == PAYLOAD


def test_sha256_disagreeing_with_file_name_fails_before_download(
        tmp_path, serve_folder):
    served = tmp_path / 'served'
    served.mkdir()
    name, _ = publish(served)
    base, requests = serve_folder(served)
    with pytest.raises(ChecksumError, match='one of the two is wrong'):
        download_checkpoint(
            base + name,
            cache_dir=str(tmp_path / 'cache'),
            sha256=hashlib.sha256(b'other').hexdigest())
    assert requests == []


def test_file_url(tmp_path):
    served = tmp_path / 'served'
    served.mkdir()
    name, _ = publish(served)
    cache = tmp_path / 'cache'
    url = (served / name).as_uri()
    assert pathlib.Path(download_checkpoint(
        url, cache_dir=str(cache))).read_bytes() == PAYLOAD

    bad_name, _ = publish(served, PAYLOAD, stem='other_20260101')
    (served / bad_name).write_bytes(PAYLOAD[:-1])
    with pytest.raises(ChecksumError):
        download_checkpoint((served / bad_name).as_uri(), cache_dir=str(cache))
    assert os.listdir(cache) == [name]


def test_tampered_cache_is_refused_when_checked(tmp_path):
    served = tmp_path / 'served'
    served.mkdir()
    name, sha256 = publish(served)
    cache = tmp_path / 'cache'
    url = (served / name).as_uri()
    path = download_checkpoint(url, cache_dir=str(cache))
    pathlib.Path(path).write_bytes(b'tampered')
    assert download_checkpoint(url, cache_dir=str(cache)) == path
    with pytest.raises(ChecksumError, match='delete it'):
        download_checkpoint(url, cache_dir=str(cache), check_cached=True)


def test_missing_file_is_a_download_error(tmp_path, serve_folder):
    base, _ = serve_folder(tmp_path)
    cache = tmp_path / 'cache'
    url = base + 'absent_20260101-0123abcd.pth'
    with pytest.raises(DownloadError, match='HTTP 404'):
        download_checkpoint(url, cache_dir=str(cache))
    assert os.listdir(cache) == []


class _ShortHandler(http.server.BaseHTTPRequestHandler):
    """Announces 1000 bytes and sends 10."""

    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Length', '1000')
        self.end_headers()
        self.wfile.write(b'0123456789')
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


def test_short_transfer_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv('http_proxy', raising=False)
    server = http.server.HTTPServer(('127.0.0.1', 0), _ShortHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cache = tmp_path / 'cache'
    try:
        url = f'http://127.0.0.1:{server.server_address[1]}/m.pth'
        with pytest.raises(DownloadError, match='m.pth'):
            download_checkpoint(url, cache_dir=str(cache), timeout=10)
    finally:
        server.shutdown()
        server.server_close()
    assert os.listdir(cache) == []


def test_unverifiable_name_is_downloaded_with_a_warning(tmp_path):
    served = tmp_path / 'served'
    served.mkdir()
    (served / 'latest.pth').write_bytes(PAYLOAD)
    with pytest.warns(UserWarning, match='not verified'):
        path = download_checkpoint(
            (served / 'latest.pth').as_uri(),
            cache_dir=str(tmp_path / 'cache'))
    assert pathlib.Path(path).read_bytes() == PAYLOAD


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='http://, https:// or file://'):
        download_checkpoint('s3://bucket/m.pth', cache_dir=str(tmp_path))
    with pytest.raises(ValueError, match='names no file'):
        download_checkpoint('http://127.0.0.1:1/', cache_dir=str(tmp_path))
    with pytest.raises(ValueError, match='64 hex digits'):
        download_checkpoint(
            'http://127.0.0.1:1/m.pth', cache_dir=str(tmp_path), sha256='ab')
