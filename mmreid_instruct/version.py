__version__ = '0.1.0'


def parse_version_info(version_str):
    """Parse a version string into a tuple, e.g. ``'0.1.0'`` -> ``(0, 1, 0)``.

    Args:
        version_str (str): The version string.

    Returns:
        tuple: The version as a tuple of ints (and a trailing string for
        pre-releases such as ``'rc1'``).
    """
    parts = []
    for x in version_str.split('.'):
        if x.isdigit():
            parts.append(int(x))
        else:
            parts.append(x)
    return tuple(parts)


version_info = parse_version_info(__version__)
