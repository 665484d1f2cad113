import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register every module of mmreid_instruct into its registry.

    Importing the sub-packages runs their ``register_module`` decorators.

    Args:
        init_default_scope (bool): Whether to make ``'mmreid_instruct'``
            the default scope, so that configs find the modules without a
            scope prefix. If another default scope is active, a new one
            named ``mmreid_instruct-<timestamp>`` is created. Defaults to
            True.
    """
    import mmreid_instruct.datasets  # noqa: F401,F403
    import mmreid_instruct.engine  # noqa: F401,F403
    import mmreid_instruct.evaluation  # noqa: F401,F403
    import mmreid_instruct.models  # noqa: F401,F403
    import mmreid_instruct.structures  # noqa: F401,F403
    import mmreid_instruct.visualization  # noqa: F401,F403

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance(
            'mmreid_instruct', scope_name='mmreid_instruct')
    elif current.scope_name != 'mmreid_instruct':
        warnings.warn(f'The current default scope "{current.scope_name}" is '
                      'not "mmreid_instruct"; register_all_modules creates '
                      'a new default scope named mmreid_instruct-<time>.')
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S%f')
        DefaultScope.get_instance(
            f'mmreid_instruct-{stamp}', scope_name='mmreid_instruct')
