"""Every ``Example:`` in the package's docstrings runs as written."""
import doctest
import importlib
import pkgutil

import pytest
from mmengine.logging import MMLogger

import mmreid_instruct


def package_modules():
    names = [mmreid_instruct.__name__]
    for info in pkgutil.walk_packages(
            mmreid_instruct.__path__, prefix='mmreid_instruct.'):
        names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize('module_name', package_modules())
def test_docstring_examples(module_name):
    module = importlib.import_module(module_name)
    # A logger that exists before any example runs, so that an example that
    # logs does not depend on which example created the logger first.
    MMLogger.get_instance('mmreid_instruct_doctest')
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS
                                   | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, module_name):
        runner.run(test)
    failed, attempted = runner.summarize(verbose=False)
    assert failed == 0, f'{failed} of {attempted} doctest examples failed ' \
        f'in {module_name} (details above)'
