"""The layout shows the layers: pure cores import no Flask and no database, and
docs/architecture.md names every module where it is."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "assettrack"
IMPURE = ("flask", "flask_babel", "flask_login", "sqlalchemy", "sqlmodel", "huey", "weasyprint")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.module:
                found.add("." * node.level + node.module)
            else:  # from .. import config
                found.update("." * node.level + alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted((PACKAGE / "domain").glob("*.py")), ids=lambda p: p.name)
def test_a_pure_core_imports_neither_flask_nor_the_database(path):
    for name in _imports(path):
        assert name.split(".")[0] not in IMPURE, f"{path.name} imports {name}"
        if name.startswith(".."):
            # Outside domain/, only the error vocabulary and the plain defaults are allowed.
            assert name in ("..errors", "..config"), f"{path.name} imports {name}"


def test_architecture_page_names_every_module_where_it_is():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([\w/]+\.py)`", page))
    # A row may name several modules of one folder: "`cli/imports.py`, `cli/duplicates.py`".
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if path.name == "__init__.py" and relative.count("/") and relative not in named:
            continue  # a package's __init__ is described with its folder
        if relative not in named and not _folder_row(page, relative):
            missing.append(relative)
    assert not missing, f"docs/architecture.md does not name: {missing}"
    for relative in named - {"instance/config.py"}:  # the operator's file, not the repository's
        exists = (PACKAGE / relative).exists() or (ROOT / relative).exists()
        if "/" not in relative:  # a bare file name, e.g. "`cases.py`" in a flow's prose
            exists = exists or any(PACKAGE.rglob(relative)) or any(ROOT.glob(f"*/{relative}"))
        assert exists, f"docs/architecture.md names {relative}, which does not exist"


def _folder_row(page: str, relative: str) -> bool:
    """``web/``, ``api/`` and ``models/`` rows list their modules by stem: "(`cases`)"."""
    folder, _, name = relative.rpartition("/")
    if folder not in ("web", "api", "models"):
        return False
    row = next((line for line in page.splitlines() if line.startswith(f"| `{folder}/` |")), "")
    return f"`{name[:-3]}`" in row
