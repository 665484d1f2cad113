import os.path as osp
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
