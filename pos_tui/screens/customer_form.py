"""The customer form, new or edited: personal, payment, fiscal data and special conditions.

Saving a new customer may find possible duplicates first; the cashier then picks "use this one"
or "create anyway". The screen answers with the saved customer (or None when left with Esc).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input, Static

from pos_tui import keys
from pos_tui.errors import PosError, ValidationError
from pos_tui.i18n import N_, _
from pos_tui.screens.base import Message, PosScreen, after_typing
from pos_tui.services import customers, fiscal
from pos_tui.services.customers import CustomerInfo, DuplicatesFound
from pos_tui.widgets.form import Field, Form, Section
from pos_tui.widgets.keybar import KeyBar

PAYMENT_CHOICES = (("cash", N_("Cash")), ("card", N_("Card")), ("transfer", N_("Transfer")),
                   ("account", N_("Customer account")))
LANGUAGE_CHOICES = (("es", N_("Spanish")), ("en", N_("English")), ("ca", N_("Catalan")),
                    ("eu", N_("Basque")), ("gl", N_("Galician")), ("pt", N_("Portuguese")),
                    ("fr", N_("French")), ("de", N_("German")), ("it", N_("Italian")))


def form_items() -> list[Field | Section]:
    items: list[Field | Section] = [
        Section(N_("Personal")),
        Field("name", N_("Name *")),
        Field("is_company", N_("Company (not a person)"), kind="check"),
        Field("email", N_("Email")),
        Field("phone", N_("Phone")),
        Field("mobile", N_("Mobile")),
        Field("street", N_("Street")),
        Field("street2", N_("Street 2")),
        Field("city", N_("City")),
        Field("state", N_("State / province")),
        Field("postal_code", N_("Postal code")),
        Field("country", N_("Country (ISO code)")),
        Field("language", N_("Language"), kind="select", options=LANGUAGE_CHOICES),
        Section(N_("Payment")),
        Field("preferred_payment", N_("Preferred method"), kind="select", options=PAYMENT_CHOICES),
        Section(N_("Fiscal")),
        Field("tax_id", N_("Tax ID")),
        Field("tax_country", N_("Tax ID country"), placeholder=N_("as the address")),
        Field("fiscal_name", N_("Fiscal name"), placeholder=N_("if not the name above")),
        Field("needs_invoice", N_("Needs an invoice"), kind="check"),
    ]
    for country, extra in fiscal.all_extra_fields():
        items.append(Field(f"fiscal.{extra.key}", extra.label,
                           kind="select" if extra.choices else "text",
                           options=tuple((code, f"{code} {label}") for code, label in extra.choices)))
    items += [
        Section(N_("Special conditions")),
        Field("discount", N_("Discount %")),
        Field("credit_limit", N_("Credit limit")),
        Field("payment_terms_days", N_("Payment terms (days)")),
        Field("special_terms", N_("Special terms")),
        Section(N_("Loyalty and notes")),
        Field("loyalty_card", N_("Loyalty card number")),
        Field("marketing_consent", N_("Agrees to marketing"), kind="check"),
        Field("notes", N_("Notes")),
    ]
    return items


class CustomerFormScreen(PosScreen):
    SCOPE = "customer_form"
    BINDINGS = keys.bindings("customer_form")

    def __init__(self, customer: CustomerInfo | None = None, initial: dict | None = None,
                 focus_field: str | None = None, note: str = "") -> None:
        super().__init__()
        self.customer = customer
        self.initial = initial or {}
        self.focus_field = focus_field
        self.note = note  # why the form opened, e.g. what an invoice still needs

    def compose(self) -> ComposeResult:
        title = (_("Edit customer: {name}").format(name=self.customer.name) if self.customer
                 else _("New customer"))
        yield Static(title, classes="title")
        yield Form(form_items())
        yield Message(id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        form = self.query_one(Form)
        store = self.pos.store
        if self.customer is not None:
            form.fill(customers.form_values(self.customer, store.exponent if store else 2,
                                            store.locale if store else "en_US"))
        else:
            if store:
                form.set_value("country", store.country)
                form.set_value("language", store.locale.split("_")[0])
            form.fill(self.initial)
        self.show_fiscal_fields()
        target = form.widget(self.focus_field or "name")
        target.focus()
        self.call_after_refresh(form.scroll_to_center, target)  # once laid out, show the field
        if self.note:
            self.query_one(Message).say(self.note, error=True)

    def tax_country(self) -> str:
        values = self.query_one(Form).values()
        store = self.pos.store
        return str(values.get("tax_country") or values.get("country") or (store.country if store else "")).upper()

    def show_fiscal_fields(self) -> None:
        """Only the extra fields of the tax ID's country are shown."""
        form, country = self.query_one(Form), self.tax_country()
        for field_country, extra in fiscal.all_extra_fields():
            form.show_row(f"fiscal.{extra.key}", field_country == country)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("country", "tax_country"):
            self.show_fiscal_fields()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    @after_typing
    def action_save(self, allow_duplicates: bool = False) -> None:
        form = self.query_one(Form)
        values = form.values()
        for field_country, extra in fiscal.all_extra_fields():  # hidden fields are not sent
            if field_country != self.tax_country():
                values.pop(f"fiscal.{extra.key}", None)
        cashier = self.pos.cashier.id if self.pos.cashier else None
        try:
            if self.customer is None:
                saved = customers.create_customer(values, cashier, allow_duplicates=allow_duplicates)
            else:
                saved = customers.update_customer(self.customer.id, values, cashier,
                                                  allow_duplicates=allow_duplicates)
        except DuplicatesFound as exc:
            self.ask_about_duplicates(exc)
            return
        except ValidationError as exc:
            form.show_errors(exc)
            self.query_one(Message).say(_("Please correct the marked fields."), error=True)
            return
        except PosError as exc:
            self.query_one(Message).fail(exc)
            return
        self.dismiss(saved)

    def ask_about_duplicates(self, found: DuplicatesFound) -> None:
        from pos_tui.screens.duplicates import DuplicatesDialog, UseExisting

        def decided(choice) -> None:
            if isinstance(choice, UseExisting):
                self.dismiss(customers.get_customer(choice.customer_id))
            elif choice == "create":
                self.action_save(allow_duplicates=True)

        self.app.push_screen(DuplicatesDialog(found.candidates, editing=self.customer is not None), decided)

    def action_cancel(self) -> None:
        self.dismiss(None)
