"""ukbuild as a doit loader plugin, for projects with no dodo.py.

In the project's pyproject.toml::

    [tool.doit]
    loader = "ukbuild"

    [tool.doit.plugins.loader]
    ukbuild = "ukbuild.doit_loader:ServiceLoader"
"""

from doit.cmd_base import NamespaceTaskLoader


class ServiceLoader(NamespaceTaskLoader):
    """The tasks of the services under ./services."""

    def setup(self, opt_values):
        from . import dodo

        self.namespace = {name: getattr(dodo, name) for name in dodo.__all__}
