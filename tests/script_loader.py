"""Loading a script (a tool, a demo, a toy module of the tests) by its path.

The test folders are not packages: ``tests/conftest.py`` puts this folder
on ``sys.path`` so that every test can ``from script_loader import
load_script``."""
import importlib.util
import os.path as osp

#: The repository root, which relative paths are resolved against.
REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_script(path, name=None):
    """Import the Python file at ``path`` as a module.

    Each call executes the file again and returns a new module, which is
    not registered in ``sys.modules``.

    Args:
        path (str | os.PathLike): The file, absolute or relative to the
            repository root.
        name (str, optional): The module's ``__name__``. Defaults to the
            file's name without ``.py``.

    Returns:
        module: The executed module.
    """
    path = osp.join(REPO_ROOT, path)  # an absolute path stays as it is
    if name is None:
        name = osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
