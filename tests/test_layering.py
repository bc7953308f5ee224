"""The rules and the tables never depend on the user interface: the CLI, tests and other
front ends can use them without Textual."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pos_tui"


def test_importing_services_models_and_cli_does_not_import_textual():
    code = (
        "import sys\n"
        "import pos_tui.models, pos_tui.cli, pos_tui.db, pos_tui.money\n"
        "import pkgutil, importlib, pos_tui.services as s\n"
        "for m in pkgutil.iter_modules(s.__path__): importlib.import_module(f'pos_tui.services.{m.name}')\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_service_or_model_module_mentions_textual_or_screens():
    headless = [*(PACKAGE / "services").glob("*.py"), PACKAGE / "models.py", PACKAGE / "db.py",
                PACKAGE / "money.py", PACKAGE / "errors.py"]
    for path in headless:
        for name in _imports(path):
            assert not name.startswith(("textual", "pos_tui.screens", "pos_tui.widgets", "pos_tui.app")), \
                f"{path.name} imports {name}"


def test_screens_never_touch_the_tables_directly():
    for path in (PACKAGE / "screens").glob("*.py"):
        assert "pos_tui.models" not in _imports(path), f"{path.name} imports the models"


def test_the_readme_shows_every_key_and_command():
    from pos_tui import keys

    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    for scope in keys.KEYMAP.values():
        for key in scope:
            assert f"`{key.key_display or keys.display(key.key)}" in readme, key.id
    for command in ("pos demo", "pos db init", "pos session open", "pos session close",
                    "pos session status"):
        assert command in readme
