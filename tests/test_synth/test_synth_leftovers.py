"""A killed SynthOmniReID generation leaves a hidden temporary folder: the
next generation removes the stale ones (and only those), and shows a
progress bar while it renders."""
import os
import socket
import subprocess
import sys
import time

from mmreid_instruct.synth.generator import (STALE_TMP_AGE_S,
                                             generate_synth_omnireid)


def dead_pid():
    """The pid of a process that has ended."""
    process = subprocess.Popen([sys.executable, '-c', 'pass'])
    process.wait()
    return process.pid


def make_tmp(parent, name):
    folder = parent / name
    (folder / 'images').mkdir(parents=True)
    (folder / 'images' / 'half.png').write_bytes(b'x')
    return folder


def test_stale_temporary_folders_are_removed(tmp_path, micro_preset, capsys):
    host = socket.gethostname()
    uid = 'ab' * 16
    killed = make_tmp(tmp_path, f'.d.tmp-{host}-{dead_pid()}-{uid}')
    running = make_tmp(tmp_path, f'.d.tmp-{host}-{os.getpid()}-{uid}')
    elsewhere = make_tmp(tmp_path, f'.d.tmp-other-host-{dead_pid()}-{uid}')
    old = make_tmp(tmp_path, f'.d.tmp-{dead_pid()}-{uid}')  # no host
    past = time.time() - STALE_TMP_AGE_S - 60
    os.utime(old, (past, past))
    other_dataset = make_tmp(tmp_path, f'.e.tmp-{host}-{dead_pid()}-{uid}')

    generate_synth_omnireid(tmp_path / 'd', micro_preset)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(
        ['d', running.name, elsewhere.name, other_dataset.name])
    assert not killed.exists() and not old.exists()
    err = capsys.readouterr().err
    assert '139/139' in err and 'task/s' in err  # the progress bar
    # A complete folder is left as it is, but leftovers still go.
    killed = make_tmp(tmp_path, f'.d.tmp-{host}-{dead_pid()}-{uid}')
    generate_synth_omnireid(tmp_path / 'd', micro_preset)
    assert not killed.exists() and running.exists()
