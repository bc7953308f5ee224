"""Finding products by what is typed (`catalog.search_products`, the till's F3 and `pos products
search`) and by what is scanned (`catalog.find_by_code`), from an index the database keeps itself:
whoever writes the products (the catalog service, a raw bulk insert, a copy, a migration), the
search follows."""

from __future__ import annotations

import pytest

from pos_tui import db, models
from pos_tui.services import bulk, catalog, copy, demo, product_search
from tests.targets import ON_POSTGRES, new_store, sqlite_only


def names(query: str, limit: int = 50) -> list[str]:
    return [p.name for p in catalog.search_products(query, limit)]


def add(ref: str, name: str, barcode: str = "", category: str = "") -> catalog.ProductInfo:
    return catalog.add_product({"reference": ref, "name": name, "barcode": barcode, "price": "1.00",
                                "taxes": "IVA 21%", "category": category})


def raw_rows(rows: list[tuple[str, str, str | None]], active: bool = True) -> list[dict]:
    stamp = db.now()
    return [{"sku": sku, "name": name, "barcode": code, "price_minor": 100, "tax_rate_bp": 0,
             "price_includes_tax": True, "category": "Bulk / Test", "active": active, "cost_minor": 0,
             "uom": "Units", "by_weight": False, "available_in_pos": True, "track_stock": True,
             "reorder_point": 0, "created_at": stamp, "updated_at": stamp} for sku, name, code in rows]


def test_word_prefixes_in_any_order_accents_and_case_ignored(shop):
    assert names("caf mol") == ["Café molido 250 g"]
    assert names("MOL CAF") == ["Café molido 250 g"]
    assert names("cafe") == names("CAFÉ") == ["Café molido 250 g"]
    assert names("atun") == ["Atún en aceite (3 latas)"]
    assert "Aceite de oliva virgen extra 1 L" in names("aceite")
    assert names("caf zzz") == [] and names("xyzzy") == []


def test_by_reference_barcode_and_category_exact_code_first(shop):
    apples = catalog.find_product("P041")
    assert names("p041")[0] == apples.name
    assert names(apples.barcode) == [apples.name]
    assert names(apples.barcode[:6])[0] == apples.name  # a barcode's prefix is a word prefix
    assert apples.name in names("fruta")  # its category: "Alimentación / Fruta y verdura"


def test_ranking_names_starting_with_the_word_then_the_rest_by_name(database):
    from pos_tui.services import taxes

    taxes.ensure_standard("ES")
    for ref, name in (("R1", "Zumo de naranja"), ("R2", "Naranjas de Valencia"), ("R3", "Agua con naranja"),
                      ("R4", "naranja sanguina"), ("NARANJA", "Mermelada amarga")):
        add(ref, name)
    # the exact reference, then names starting with the word (by name), then the others (by name)
    assert names("naranja") == ["Mermelada amarga", "Naranjas de Valencia", "naranja sanguina",
                                "Agua con naranja", "Zumo de naranja"]
    assert names("naranja", limit=2) == ["Mermelada amarga", "Naranjas de Valencia"]


def test_archived_products_are_not_found(shop):
    catalog.archive_product("P041")
    assert names("manzanas") == []
    catalog.archive_product("P041", archived=False)
    assert names("manzanas") == ["Manzanas golden"]


def test_the_index_follows_the_catalog_service(shop):
    add("NEW1", "Galletas de avena", "4006381333931")
    assert names("galle ave") == ["Galletas de avena"]
    catalog.update_product("NEW1", {"name": "Bizcocho de avena", "category": "Panadería / Dulces"})
    assert names("galle ave") == []
    assert names("bizc") == ["Bizcocho de avena"]
    assert names("dulces") == ["Bizcocho de avena"]
    catalog.update_product("NEW1", {"reference": "NEW2", "barcode": ""})
    assert names("new1") == [] and names("4006381") == []
    assert names("new2") == ["Bizcocho de avena"]


def test_the_index_follows_a_raw_bulk_insert_and_raw_sql(database):
    with db.write():
        bulk.insert(models.Product, raw_rows([("BULK1", "Turrón de Jijona", "8410000000016"),
                                              ("BULK2", "Turrón blando", None)])
                    + raw_rows([("BULK3", "Turrón archivado", None)], active=False))
    assert names("turron") == ["Turrón blando", "Turrón de Jijona"]
    assert names("jij tur") == ["Turrón de Jijona"]
    # written behind the program's back: the database keeps its index in step all the same
    db.database.execute_sql("UPDATE product SET name = 'Polvorones' WHERE sku = 'BULK2'")
    db.database.execute_sql(f"UPDATE product SET active = {'TRUE' if ON_POSTGRES else '1'} WHERE sku = 'BULK3'")
    assert names("turron") == ["Turrón archivado", "Turrón de Jijona"]
    assert names("polvo") == ["Polvorones"]
    db.database.execute_sql("DELETE FROM product WHERE sku = 'BULK1'")
    assert names("turron") == ["Turrón archivado"]


def test_a_common_prefix_walks_the_names_and_ranks_the_same(database, monkeypatch):
    """Thousands of matches take other paths than a few; the answer is the same."""
    rows = [(f"W{i:05d}", f"{word} {i:05d}", None) for i, word in
            enumerate(["Pan", "Patata", "Apio con pan", "pan rallado", "Paño"] * 60)]
    with db.write():
        bulk.insert(models.Product, raw_rows(rows) + raw_rows([("WX", "Pan archivado", None)], active=False))
    expected = names("pa", limit=400)
    assert len(expected) == 300 and "Pan archivado" not in expected
    starting = [n for n in expected if not n.startswith("Apio")]
    assert expected == sorted(starting) + sorted(n for n in expected if n.startswith("Apio"))
    product_search._MANY_SEEN.clear()
    monkeypatch.setattr(product_search, "SMALL", 5)
    monkeypatch.setattr(product_search, "FEW", 10)
    monkeypatch.setattr(product_search, "STARTING_ROWS", 7)
    monkeypatch.setattr(product_search, "WALK_BATCH", 16)
    for query in ("pa", "pan", "pan ra", "apio", "ñ", "pano"):
        full = names(query, limit=400)
        for many in (20, 100):  # more than MANY matches: names checked one by one as they are walked
            monkeypatch.setattr(product_search, "MANY", many)
            product_search._MANY_SEEN.clear()
            assert names(query, limit=400) == full, (query, many)
            assert names(query, limit=15) == full[:15], (query, many)
        monkeypatch.setattr(product_search, "MANY", 10_000)
    assert names("pano")[:1] == ["Paño 00004"]


def test_find_by_code_one_indexed_query(shop):
    apples = catalog.find_by_code("2100001000004")
    assert apples is not None and apples.sku == "P041" and apples.taxes == ("IVA 4%",)
    assert catalog.find_by_code("p041") == apples
    assert catalog.find_by_code("0000000000000") is None and catalog.find_by_code("  ") is None
    catalog.archive_product("P041")
    assert catalog.find_by_code("2100001000004") is None


@sqlite_only
def test_barcode_lookup_uses_the_unique_index(shop):
    plan = db.database.execute_sql(
        "EXPLAIN QUERY PLAN SELECT p.id, t.name FROM product AS p LEFT JOIN product_tax AS pt ON pt.product_id = p.id "
        "LEFT JOIN tax AS t ON t.id = pt.tax_id WHERE p.id = (SELECT id FROM product WHERE (barcode = ? OR sku = ?) "
        "AND active AND available_in_pos ORDER BY barcode = ? DESC LIMIT 1) ORDER BY p.id, pt.sequence, t.id",
        ["1", "1", "1"]).fetchall()
    text = " ".join(row[-1] for row in plan)
    assert "INDEX product_barcode (barcode=?)" in text and "INDEX product_sku (sku=?)" in text
    assert "SCAN" not in text.replace("SCAN CONSTANT", "")


def _make_v1(target) -> None:
    """Turn a fresh store back into a schema 1 database: no catalog tables, columns or index."""
    db.open_database(str(target))
    demo.load_demo()
    d = db.database
    if db.is_sqlite():
        for name in ("product_fts_insert", "product_fts_delete", "product_fts_update"):
            d.execute_sql(f"DROP TRIGGER {name}")
        d.execute_sql("DROP TABLE product_fts")
        d.execute_sql("DROP INDEX product_search_walk")
    else:
        d.execute_sql("ALTER TABLE product DROP COLUMN search_tsv")
    d.execute_sql("DROP TABLE stock_move")
    d.execute_sql("DROP TABLE product_tax")
    d.execute_sql("DROP TABLE tax")
    for table, columns in (("product", ("cost_minor", "uom", "by_weight", "available_in_pos", "track_stock",
                                        "reorder_point", "created_at", "updated_at")),
                           ("order_line", ("uom", "taxes")), ("store", ("allow_negative_stock",))):
        for column in columns:
            d.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    d.execute_sql("UPDATE schema_info SET value = '1' WHERE key = 'version'")
    db.close_database()


def test_the_migration_of_a_v1_database_builds_the_index(db_path):
    _make_v1(db_path)
    db.open_database(str(db_path))
    try:
        assert db.schema_version() == db.SCHEMA_VERSION
        assert names("caf mol") == ["Café molido 250 g"]
        assert names("2100001000004") == ["Manzanas golden"]
        add("MIG1", "Cafetera italiana")
        assert names("caf") == ["Cafetera italiana", "Café molido 250 g"]  # by code point: t < é
    finally:
        db.close_database()


def test_search_survives_a_copy_there_and_back(tmp_path):
    source = tmp_path / "source.sqlite3"
    db.open_database(str(source))
    demo.load_demo()
    db.close_database()
    there = new_store(tmp_path, "there")  # PostgreSQL when the tests run there
    copy.copy_store(str(source), str(there))
    try:
        assert names("caf mol") == ["Café molido 250 g"]
        catalog.archive_product("P041")
        add("CPY1", "Cafetera de goteo")
    finally:
        db.close_database()
    back = tmp_path / "back.sqlite3"
    copy.copy_store(str(there), str(back))
    try:
        assert names("caf") == ["Cafetera de goteo", "Café molido 250 g"]
        assert names("manzanas") == []
        assert catalog.find_by_code("2100002000003") is not None
    finally:
        db.close_database()


@sqlite_only
def test_backup_restore_and_check_with_the_index(tmp_path):
    from pos_tui.services import backup

    path = tmp_path / "pos.sqlite3"
    db.open_database(str(path))
    try:
        demo.load_demo()
        add("BK1", "Cafetera exprés")
        assert all(f.ok for f in backup.check()), backup.check()
        backup.backup(tmp_path / "saved.sqlite3")
    finally:
        db.close_database()
    assert backup.inspect(tmp_path / "saved.sqlite3").schema_version == db.SCHEMA_VERSION
    backup.restore(tmp_path / "saved.sqlite3", tmp_path / "restored.sqlite3")
    db.open_database(str(tmp_path / "restored.sqlite3"))
    try:
        assert names("caf") == ["Cafetera exprés", "Café molido 250 g"]
        assert all(f.ok for f in backup.check())
    finally:
        db.close_database()


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_query_lists_products_by_name(shop, query):
    assert names(query, limit=3) == sorted(p.name for p in catalog.list_products())[:3]


def test_punctuation_alone_finds_nothing(shop):
    assert names("--") == [] and names('"') == [] and names("*") == []
