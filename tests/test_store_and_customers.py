import pytest

from pos_tui import models
from pos_tui.errors import PosError, StateError, ValidationError
from pos_tui.services import cashiers, customers, demo, store


def test_demo_store_loads_catalog_customers_and_cashiers(shop):
    assert (shop.products, shop.customers) == (43, 20)
    assert models.Product.select().count() == 43
    assert models.Product.select().where(models.Product.barcode.is_null()).count() == 0
    info = store.get_store()
    assert (info.country, info.currency, info.locale) == ("ES", "EUR", "es_ES")
    assert cashiers.authenticate("Ana", "1234").role == "manager"


def test_demo_goes_only_into_an_empty_database(shop):
    with pytest.raises(StateError):
        demo.load_demo()
    assert models.Product.select().count() == 43


def test_demo_barcodes_are_valid_ean13(shop):
    for product in models.Product.select():
        digits = [int(d) for d in product.barcode]
        assert len(digits) == 13
        assert sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0


def test_setup_store_reports_every_bad_field_at_once(database):
    with pytest.raises(ValidationError) as info:
        store.setup_store("", "XX", "EURO", "", "12")
    assert set(info.value.errors) == {"store_name", "country", "currency", "cashier", "pin"}
    assert models.Store.select().count() == 0 and models.Cashier.select().count() == 0


def test_setup_store_creates_a_manager(database):
    info = store.setup_store("Tienda Sol", "mx", "mxn", "Rosa", "4321")
    assert (info.country, info.currency, info.locale) == ("MX", "MXN", "es_MX")
    assert cashiers.authenticate("Rosa", "4321").role == "manager"
    with pytest.raises(StateError):
        store.setup_store("Other", "ES", "EUR", "Pepe", "1111")


def test_pins_are_hashed_and_checked(shop):
    row = models.Cashier.get(models.Cashier.name == "Ana")
    assert "1234" not in row.pin_hash and row.pin_hash.startswith("scrypt$")
    with pytest.raises(PosError, match="Wrong cashier or PIN"):
        cashiers.authenticate("Ana", "9999")
    with pytest.raises(PosError, match="Wrong cashier or PIN"):
        cashiers.authenticate("Nobody", "1234")


def test_customer_needs_a_name_and_clean_text(database):
    with pytest.raises(ValidationError) as info:
        customers.create_customer({"name": "  ", "city": "Ma\x00drid", "country": "ZZ",
                                   "street": "x" * 500})
    assert set(info.value.errors) == {"name", "city", "country", "street"}
    assert "required" in info.value.errors["name"]
    assert "control characters" in info.value.errors["city"]
    assert models.Customer.select().count() == 0


def test_customer_is_created_trimmed(database):
    info = customers.create_customer({"name": "  Marta Villa ", "country": "es"})
    assert (info.name, info.country) == ("Marta Villa", "ES")


@pytest.mark.parametrize("query, expected", [
    ("José", "José García López"), ("garcía lópez", "José García López"),
    ("634 112", "María Fernández Ruiz"), ("ximena.hernandez@", "Ximena Hernández Ávila"),
    ("B46020376", "Ferretería Hermanos Ruiz S.L."),
])
def test_customer_search_by_name_phone_email_tax_id(shop, query, expected):
    assert expected in [c.name for c in customers.search_customers(query)]
