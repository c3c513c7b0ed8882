"""Issue #14: bank transfer as a real method (seed 003's manual method).

The checkout API answers the instructions (bank, account, a short reference,
amount, deadline); the result page, the order page and an email show the same;
a reminder goes out a day before the deadline; staff confirm the money by its
reference in the back office, or import the bank's statement; short, late and
unknown transfers wait for a person.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import select, update

from app.db import utcnow
from app.library.models import ProductAccess
from app.orders.models import Order
from app.outbox.models import OutboxEvent
from app.payments.gateways.manual import find_reference, transfer_reference
from app.payments.models import BankReceipt, Payment
from tests.support.cart import fill_cart
from tests.support.factories import PASSWORD

INSTRUCTION_KEYS = [
    "bankName",
    "accountName",
    "accountNumber",
    "reference",
    "amount",
    "deadline",
]


def _checkout(shop) -> dict:
    fill_cart(shop.api, shop.course, shop.book)
    resp = shop.api.post("/api/orders/checkout", json={"gateway": "bank_transfer"})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["data"]


def _admin(app, factory):
    admin = factory.user(email="admin@example.com", role="admin")
    client = app.test_client()
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    return client


def _reload(db, order_id) -> Order:
    db.session.rollback()
    return db.session.get(Order, order_id)


def _confirm(admin, reference, amount, received_on=None):
    page = admin.get("/admin/bank_transfers/").get_data(as_text=True)
    key = re.search(r'name="key" value="([0-9a-f]{32})"', page).group(1)
    data = {"key": key, "reference": reference, "amount": amount}
    if received_on:
        data["received_on"] = received_on
    return admin.post("/admin/bank_transfers/confirm", data=data, follow_redirects=True)


def test_checkout_answers_instructions_and_staff_confirmation_pays(
    app, shop, factory, db, jobs, smtp_sink, live_url
):
    data = _checkout(shop)
    assert data["status"] == "on_hold"
    assert data["initiationType"] == "instructions"
    ins = data["instructions"]
    assert list(ins) == INSTRUCTION_KEYS
    order = _reload(db, data["orderId"])
    payment = order.payments[0]
    assert ins["bankName"] == "Nabil Bank, Kamaladi branch"
    assert ins["accountName"] == "Storefront Pvt. Ltd."
    assert ins["accountNumber"] == "0101017500123"
    assert ins["reference"] == payment.gateway_txn_id == transfer_reference(payment.id)
    assert re.fullmatch(r"BT[0-9A-Z]{6}", ins["reference"])
    assert ins["amount"] == "1300.00"
    # Three days, to the end of the third day in Nepal (23:59:59 +05:45).
    assert ins["deadline"] == order.expires_at.isoformat() + "Z"
    assert ins["deadline"].endswith("18:14:59Z")
    assert dt.timedelta(days=2) < order.expires_at - utcnow() < dt.timedelta(days=4)
    assert data["redirectUrl"].endswith(
        f"/payments/result/{order.public_id}?key={order.order_key}"
    )

    # The result page and the order page show the same instructions.
    for url in (
        data["redirectUrl"],
        f"/orders/{order.public_id}?key={order.order_key}",
    ):
        page = shop.api.client.get(url.replace(live_url, "")).get_data(as_text=True)
        assert f'<code id="transfer-reference">{ins["reference"]}</code>' in page
        assert "0101017500123" in page and "NPR 1,300.00" in page
    # ... and an email.
    jobs.run()
    (mail,) = [m for m in smtp_sink.to(shop.user.email) if "How to pay" in m["Subject"]]
    body = mail.get_body(("plain",)).get_content()
    assert ins["reference"] in body and "0101017500123" in body
    assert "Nabil Bank" in body and "NPR 1,300.00" in body

    # Nothing pays it by itself.
    assert _reload(db, order.id).status == "on_hold"
    admin = _admin(app, factory)
    page = admin.get("/admin/bank_transfers/").get_data(as_text=True)
    assert ins["reference"] in page  # in the list of transfers we wait for
    resp = _confirm(admin, ins["reference"].lower(), "1,300.00")
    assert "The transfer was recorded." in resp.get_data(as_text=True)
    order = _reload(db, order.id)
    assert order.status == "paid" and order.payments[0].status == "captured"
    assert db.session.scalar(select(ProductAccess.id)) is not None
    (receipt,) = db.session.scalars(select(BankReceipt)).all()
    assert (receipt.status, receipt.problem, receipt.amount) == (
        "matched",
        None,
        130000,
    )
    jobs.run()
    assert any(
        "Payment received" in str(m["Subject"]) for m in smtp_sink.to(shop.user.email)
    )
    # The same confirmation again (a double submit) records nothing more.
    _confirm(admin, ins["reference"], "1300")
    assert len(db.session.scalars(select(BankReceipt)).all()) == 2
    second = db.session.scalars(select(BankReceipt).order_by(BankReceipt.id)).all()[1]
    assert (second.status, second.problem) == ("review", "already_paid")


def test_a_reminder_goes_out_a_day_before_the_deadline(shop, db, jobs, smtp_sink):
    data = _checkout(shop)
    order = _reload(db, data["orderId"])
    reminder = db.session.scalar(
        select(OutboxEvent).where(OutboxEvent.topic == "payment.transfer_reminder")
    )
    assert reminder.available_at == order.expires_at - dt.timedelta(days=1)
    jobs.run()
    assert not [m for m in smtp_sink.to(shop.user.email) if "Reminder" in m["Subject"]]
    db.session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == reminder.id)
        .values(available_at=utcnow())
    )
    db.session.commit()
    jobs.run_scheduled(rounds=1)
    reminders = [m for m in smtp_sink.to(shop.user.email) if "Reminder" in m["Subject"]]
    assert len(reminders) == 1
    assert (
        data["instructions"]["reference"]
        in reminders[0].get_body(("plain",)).get_content()
    )


def test_statement_import_matches_and_queues_the_rest(app, shop, factory, db, jobs):
    exact = _checkout(shop)
    db.session.rollback()
    # Two more orders of the same customer: one paid short, one never paid.
    fill_cart(shop.api, shop.course)
    short = shop.api.post(
        "/api/orders/checkout", json={"gateway": "bank_transfer"}
    ).get_json()["data"]
    ref_exact = exact["instructions"]["reference"]
    ref_short = short["instructions"]["reference"]
    today = utcnow().date().isoformat()
    statement = (
        "Date,Description,Debit,Credit,Balance\n"
        f'{today},TRANSFER {ref_exact} SITA SHRESTHA,,"1,300.00",9999\n'
        f"{today},{ref_short.lower()} sita,,700.00,9999\n"
        f"{today},RENT NOVEMBER,25000.00,,9999\n"
        f"{today},GIFT FROM AUNT,,500.00,9999\n"
        "not a date,BT000000,,1.00,9999\n"
    )
    admin = _admin(app, factory)

    def upload():
        return admin.post(
            "/admin/bank_transfers/import",
            data={
                "statement": (io.BytesIO(statement.encode()), "nabil.csv"),
                "currency": "NPR",
            },
            content_type="multipart/form-data",
            follow_redirects=True,
        ).get_data(as_text=True)

    page = upload()
    assert "1 matched, 2 for review, 0 imported before, 1 unreadable." in page
    assert _reload(db, exact["orderId"]).status == "paid"
    assert _reload(db, short["orderId"]).status == "on_hold"
    queue = {r.problem: r for r in db.session.scalars(select(BankReceipt))}
    assert set(queue) == {None, "short", "unknown_reference"}
    assert queue["short"].payment.order_id == short["orderId"]
    # The same statement again: every line is known already.
    page = upload()
    assert "0 matched, 0 for review, 3 imported before" in page

    # A person accepts the short transfer (the bank took a fee) ...
    resp = admin.post(
        f"/admin/bank_transfers/receipts/{queue['short'].id}/resolve",
        data={"how": "accept", "note": "bank fee of 100 deducted"},
        follow_redirects=True,
    )
    assert "The transfer was resolved." in resp.get_data(as_text=True)
    assert _reload(db, short["orderId"]).status == "paid"
    # ... and sends the unknown one back; saying how is required.
    unknown = queue["unknown_reference"].id
    resp = admin.post(
        f"/admin/bank_transfers/receipts/{unknown}/resolve",
        data={"how": "return"},
        follow_redirects=True,
    )
    assert "Say how the money was sent back." in resp.get_data(as_text=True)
    admin.post(
        f"/admin/bank_transfers/receipts/{unknown}/resolve",
        data={"how": "return", "note": "returned to sender, Nabil ref 4471"},
    )
    db.session.rollback()
    assert db.session.get(BankReceipt, unknown).status == "returned"
    page = admin.get("/admin/bank_transfers/").get_data(as_text=True)
    assert 'id="no-review"' in page


def test_a_late_transfer_waits_for_a_person(app, shop, factory, db, jobs):
    data = _checkout(shop)
    order = _reload(db, data["orderId"])
    payment = db.session.get(Payment, data["paymentId"])
    # The deadline passed and the order was cancelled.
    db.session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(expires_at=utcnow() - dt.timedelta(minutes=1))
    )
    db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id)
        .values(approve_by=utcnow() - dt.timedelta(minutes=1))
    )
    db.session.commit()
    jobs.run_scheduled()
    assert _reload(db, order.id).status == "cancelled"
    admin = _admin(app, factory)
    page = _confirm(admin, data["instructions"]["reference"], "1300.00").get_data(
        as_text=True
    )
    assert "it needs a person: after the deadline" in page
    assert _reload(db, order.id).status == "cancelled"
    receipt = db.session.scalar(select(BankReceipt))
    # Digital goods never run out: accepting it pays the order after all.
    admin.post(
        f"/admin/bank_transfers/receipts/{receipt.id}/resolve",
        data={"how": "accept", "note": "customer paid a day late; accepted"},
    )
    order = _reload(db, order.id)
    assert order.status == "paid" and not order.needs_refund


def test_a_mistyped_reference_is_refused_not_guessed(app, shop, factory, db):
    data = _checkout(shop)
    good = data["instructions"]["reference"]
    typo = good[:-2] + ("1" if good[-2] != "1" else "2") + good[-1]
    assert find_reference(typo) is None  # the check character catches it
    admin = _admin(app, factory)
    page = _confirm(admin, typo, "1300").get_data(as_text=True)
    assert "That is not a transfer reference" in page
    assert db.session.scalars(select(BankReceipt)).all() == []


@pytest.mark.parametrize(
    "text, found",
    [
        ("BT000015", "BT000015"),
        ("payment bt-000015 thanks", "BT000015"),
        ("BTO00015", "BT000015"),  # the letter O read as zero
        ("BT000016", None),  # wrong check character
        ("no reference here", None),
    ],
)
def test_references_are_found_in_bank_text(text, found):
    assert transfer_reference(1) == "BT000015"
    assert find_reference(text) == found


def test_openapi_lists_bank_transfer(client):
    spec = client.get("/api/openapi.json").get_json()
    checkout = spec["paths"]["/api/orders/checkout"]["post"]
    text = str(checkout)
    assert "bank_transfer" in text and "instructions" in text
    assert "accountNumber" in str(spec)
