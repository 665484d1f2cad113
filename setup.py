import os
import os.path as osp
import platform
import shutil
import sys
from setuptools import find_packages, setup


def read_version():
    namespace = {}
    with open(osp.join('mmreid_instruct', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), namespace)
    return namespace['__version__']


def parse_requirements(path):
    """Read the requirement lines of a requirements file."""
    with open(path) as f:
        lines = (line.strip() for line in f)
        return [line for line in lines if line and not line.startswith('#')]


def add_mim_extension():
    """Put the files openmim needs (``mim search``, ``mim download``,
    ``mim train``) into ``mmreid_instruct/.mim``: symlinks to the originals
    for an editable install (``pip install -e .``), copies otherwise."""
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'copy' if platform.system() == 'Windows' else 'symlink'
    elif 'sdist' in sys.argv or 'bdist_wheel' in sys.argv:
        mode = 'copy'
    else:
        return
    repo_path = osp.dirname(osp.abspath(__file__))
    mim_path = osp.join(repo_path, 'mmreid_instruct', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in ('configs', 'tools', 'demo', 'model-index.yml'):
        src_path = osp.join(repo_path, name)
        tar_path = osp.join(mim_path, name)
        # An sdist has the copies only: keep them when building from it.
        if not osp.exists(src_path):
            continue
        if osp.islink(tar_path) or osp.isfile(tar_path):
            os.remove(tar_path)
        elif osp.isdir(tar_path):
            shutil.rmtree(tar_path)
        if mode == 'symlink':
            os.symlink(osp.relpath(src_path, mim_path), tar_path)
        elif osp.isdir(src_path):
            shutil.copytree(
                src_path,
                tar_path,
                ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src_path, tar_path)


add_mim_extension()
setup(
    name='mmreid_instruct',
    version=read_version(),
    description='OpenMMLab-style toolbox for instruction-guided person '
    're-identification',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    keywords='person re-identification, instruct-reid, computer vision',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
    include_package_data=True,
    python_requires='>=3.8',
    license='Apache License 2.0',
    install_requires=parse_requirements('requirements/runtime.txt'),
    extras_require={
        'tests':
        parse_requirements('requirements/tests.txt'),
        'optional':
        parse_requirements('requirements/optional.txt'),
        'all':
        parse_requirements('requirements/tests.txt') +
        parse_requirements('requirements/optional.txt'),
    },
    zip_safe=False)
