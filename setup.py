"""Build step: the wheel carries `templates/` (kept at the top of the repository) as `oai_server/templates`."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithTemplates(build_py):
    """Copy the top-level templates into the built package, where an installed app looks for them."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads templates/ from the checkout
        source = Path(__file__).resolve().parent / "templates"
        shutil.copytree(source, Path(self.build_lib) / "oai_server" / "templates", dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithTemplates})
