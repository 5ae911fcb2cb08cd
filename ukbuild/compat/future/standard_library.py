"""``future.standard_library``: on Python 3 the standard library already has
its Python 3 names, so there are no aliases to install."""


def install_aliases() -> None:
    return None
