"""`pos products import` and `pos products export` as an admin types them."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path

import pytest

from pos_tui import db, models
from pos_tui.services import demo, store
from tests.cli_helpers import as_json, cli_runner

ODOO_FILE = Path(__file__).parent / "data" / "odoo_products.csv"


@pytest.fixture
def run(db_path, monkeypatch):
    return cli_runner(db_path, monkeypatch, columns=200)


@pytest.fixture
def new_store(db_path):
    db.open_database(str(db_path))
    store.setup_store("Panadería Sol", "ES", "EUR", "Ana", "1234")
    db.close_database()


@pytest.fixture
def demo_store(db_path):
    db.open_database(str(db_path))
    demo.load_demo()
    db.close_database()


def product_count(db_path) -> int:
    db.open_database(str(db_path))
    try:
        return models.Product.select().count()
    finally:
        db.close_database()


def private(path: Path) -> bool:
    return stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_an_odoo_export_is_a_dry_run_until_apply(run, new_store, db_path):
    result = run("products", "import", str(ODOO_FILE), "--profile", "odoo", "--tax", "IVA 10%")
    assert result.exit_code == 0, result.output
    assert "7 rows (utf-8, ,); 7 to create, 0 to update, 0 refused." in result.stdout
    assert "Columns not imported" not in result.stdout  # Product Type is read: whose stock is counted
    assert "Dry run: nothing was written" in result.stdout
    assert product_count(db_path) == 0
    result = run("products", "import", str(ODOO_FILE), "--profile", "odoo", "--tax", "IVA 10%", "--apply")
    assert result.exit_code == 0, result.output
    assert "7 products created, 0 updated (0 unchanged) in one transaction" in result.stdout
    shown = as_json(run("products", "show", "FRUT_0001", "--format", "json"))
    assert (shown["unit"], shown["by_weight"], shown["price_minor"], shown["taxes"]) == ("kg", True, 295, ["IVA 10%"])


def test_refused_rows_exit_1_and_write_nothing_without_skip_invalid(run, demo_store, db_path, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("reference,name,price,taxes\nN1,Good,1.00,IVA 21%\nN2,,1.00,IVA 21%\nP001,Milk,1,IVA 4%\n",
                    encoding="utf-8")
    result = run("products", "import", str(path), "--apply")
    assert result.exit_code == 1
    assert "is required" in result.stdout and "“P001” is already used by Leche entera 1 L" in result.stdout
    assert "Nothing was written" in result.stderr
    assert product_count(db_path) == 43
    result = run("products", "import", str(path), "--apply", "--skip-invalid", "--format", "json")
    doc = as_json(result)
    assert (doc["applied"], doc["created"], doc["refused_rows"]) == (True, 1, 2)
    assert [(r["row"], r["column"]) for r in doc["refused"]] == [(3, "name"), (4, "reference")]
    assert product_count(db_path) == 44


def test_update_and_the_report_file(run, demo_store, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("reference,name,price,taxes\nP001,Leche entera 1 L,1.05,IVA 4%\nX,=1+1,abc,IVA 4%\n",
                    encoding="utf-8")
    report = tmp_path / "refused.csv"
    result = run("products", "import", str(path), "--update", "--apply", "--skip-invalid", "--report", str(report))
    assert result.exit_code == 0, result.output
    assert "0 products created, 1 updated (0 unchanged)" in result.stdout
    assert f"Every refused row is listed in {report}" in result.stdout.replace("\n", "")
    assert private(report)
    rows = list(csv.reader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["row", "column", "message", "value"]
    assert rows[1][:2] == ["3", "price"] and rows[1][3] == "abc"
    assert as_json(run("products", "show", "P001", "--format", "json"))["price_minor"] == 105


def test_usage_and_file_errors(run, new_store, tmp_path):
    assert run("products", "import", str(ODOO_FILE), "--skip-invalid").exit_code == 2
    assert run("products", "import", str(ODOO_FILE), "--profile", "csv").exit_code == 2
    missing = run("products", "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1 and "No file" in missing.stderr
    unknown = run("products", "import", str(ODOO_FILE), "--profile", "odoo", "--tax", "VAT 99%")
    assert unknown.exit_code == 1 and "--tax" in unknown.stderr and "unknown tax" in unknown.stderr
    no_name = tmp_path / "columns.csv"
    no_name.write_text("foo,bar\n1,2\n", encoding="utf-8")
    result = run("products", "import", str(no_name))
    assert result.exit_code == 1 and "no “name” column" in result.stderr
    assert "Traceback" not in result.output


def test_export_to_a_private_file_and_back(run, demo_store, db_path, tmp_path):
    target = tmp_path / "products.csv"
    result = run("products", "export", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert "43 products written to" in result.stdout
    assert private(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == 43 and rows[0]["reference"] == "P001" and rows[0]["price"] == "0.95"
    back = run("products", "import", str(target), "--update", "--apply", "--format", "json")
    assert as_json(back)["unchanged"] == 43


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_export_json_to_stdout(run, demo_store, fmt):
    result = run("products", "export", "--format", fmt)
    assert result.exit_code == 0, result.output
    docs = json.loads(result.stdout) if fmt == "json" else [json.loads(line) for line in result.stdout.splitlines()]
    assert len(docs) == 43
    weighed = [d for d in docs if d["by_weight"]]
    assert [d["unit"] for d in weighed] == ["kg", "kg", "kg"]


def test_export_archived_and_odoo_profile(run, demo_store, db_path):
    from pos_tui.services import catalog

    db.open_database(str(db_path))
    catalog.archive_product("P005")
    db.close_database()
    active = list(csv.DictReader(io.StringIO(run("products", "export").stdout)))
    every = list(csv.DictReader(io.StringIO(run("products", "export", "--archived").stdout)))
    assert (len(active), len(every)) == (42, 43)
    assert [r["archived"] for r in every if r["reference"] == "P005"] == ["true"]
    odoo = run("products", "export", "--profile", "odoo", "--archived").stdout
    assert odoo.splitlines()[0].startswith("Internal Reference,Name,Barcode,Sales Price,Cost,Product Category,"
                                           "Unit of Measure,To Weigh With Scale,Available in POS")
    assert "\nP041," in odoo and ",kg,True,True," in odoo and odoo.replace("\r", "").count(",False\n") == 1
