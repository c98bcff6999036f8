"""Packaging lives in setup.cfg; this file only adds the docs pages to the wheel as vpce_checks/docs, so the "Docs:"
lines, `vpce-checks docs ID` and the SARIF rules' help name pages the installed package has."""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "docs")


class BuildWithDocs(build_py):
    """build_py, plus docs/*.md copied into the built package."""

    def run(self) -> None:
        super().run()
        target = os.path.join(self.build_lib, "vpce_checks", "docs")
        self.mkpath(target)
        for name in sorted(os.listdir(DOCS)):
            if name.endswith(".md"):
                self.copy_file(os.path.join(DOCS, name), os.path.join(target, name))


setup(cmdclass={"build_py": BuildWithDocs})
