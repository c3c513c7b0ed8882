"""The eSewa sandbox's quirk modes emit exactly the formats real eSewa uses.

Each callback format is checked on the raw redirect (signature verified here
with an independent HMAC over the plain "N.0" amount), and each status-API mode
on the raw HTTP answer a merchant would receive.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import urlsplit

import pytest
import requests

from tests.sandbox.test_esewa_sandbox import (
    RESPONSE_NAMES,
    SUCCESS_URL,
    pay,
    start,
    status_query,
)

SECRET = "8gBm/:&EnhH.1/q"


def set_quirk(client, quirk: str) -> None:
    resp = client.post("/_sandbox/esewa/quirk", json={"quirk": quirk})
    assert resp.status_code == 200 and resp.get_json() == {"quirk": quirk}


def paid_location(client, uuid: str, success_url: str = SUCCESS_URL) -> str:
    start(client, uuid=uuid, amount="2000", tax="700", success_url=success_url)
    resp = pay(client, uuid)
    assert resp.status_code == 302
    return resp.headers["Location"]


def raw_json(location: str) -> str:
    value = location.split("data=", 1)[1]
    value = requests.utils.unquote(value)
    return base64.b64decode(value).decode()


def signature_over_plain_amount(fields: dict) -> bool:
    plain = {**fields, "total_amount": "2700.0"}
    message = ",".join(f"{n}={plain[n]}" for n in RESPONSE_NAMES.split(","))
    digest = hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), fields["signature"])


def test_standard_format_is_the_default(client):
    location = paid_location(client, "Q-1")
    fields = json.loads(raw_json(location))
    assert fields["total_amount"] == "2700.0"
    assert signature_over_plain_amount(fields)


def test_thousands_quirk_shows_a_separator_it_did_not_sign(client):
    set_quirk(client, "thousands")
    fields = json.loads(raw_json(paid_location(client, "Q-2")))
    assert fields["total_amount"] == "2,700.0"
    assert signature_over_plain_amount(fields)


def test_number_quirk_sends_a_json_number(client):
    set_quirk(client, "number")
    text = raw_json(paid_location(client, "Q-3"))
    assert '"total_amount":2700.0,' in text
    assert signature_over_plain_amount(json.loads(text, parse_float=str))


def test_question_mark_quirk_glues_data_onto_an_existing_query(client):
    set_quirk(client, "question_mark")
    location = paid_location(client, "Q-4", SUCCESS_URL + "?lang=en")
    assert location.startswith(SUCCESS_URL + "?lang=en?data=")
    assert signature_over_plain_amount(json.loads(raw_json(location)))


def test_raw_base64_quirk_leaves_data_unescaped(client):
    set_quirk(client, "raw_base64")
    location = paid_location(client, "Q-5")
    value = urlsplit(location).query.removeprefix("data=")
    assert "%" not in value  # `=` and any `+` or `/` travel as they are
    assert json.loads(base64.b64decode(value, validate=True))["status"] == "COMPLETE"


def test_quirk_applies_only_to_redirects_issued_after_it(client):
    first = paid_location(client, "Q-6")
    set_quirk(client, "thousands")
    again = pay(client, "Q-6").headers["Location"]  # a replayed click
    assert json.loads(raw_json(first))["total_amount"] == "2700.0"
    assert json.loads(raw_json(again))["total_amount"] == "2,700.0"
    assert (
        json.loads(raw_json(again))["transaction_code"]
        == json.loads(raw_json(first))["transaction_code"]
    )


@pytest.mark.parametrize(
    ("mode", "status", "body", "mimetype"),
    [
        ("null", 200, "null", "application/json"),
        ("number", 200, "0", "application/json"),
        ("empty", 200, "", "application/json"),
        ("html", 200, "<html>", "text/html"),
        ("error", 200, '"error_message"', "application/json"),
        ("fail", 503, '"error_message"', "application/json"),
    ],
)
def test_status_modes_answer_what_a_broken_path_would(
    client, live_url, mode, status, body, mimetype
):
    paid_location(client, "Q-7")
    assert client.post("/_sandbox/esewa/mode", data={"mode": mode}).status_code == 200

    resp = status_query(live_url, "Q-7", "2700")

    assert resp.status_code == status
    assert resp.headers["Content-Type"].startswith(mimetype)
    assert body in resp.text if body else resp.text == ""
    client.post("/_sandbox/esewa/mode", data={"mode": "ok"})
    assert status_query(live_url, "Q-7", "2700").json()["status"] == "COMPLETE"


def test_index_shows_and_switches_both_controls(client):
    html = client.get("/_sandbox/esewa/").get_data(as_text=True)
    assert 'id="esewa-quirk-thousands"' in html and 'id="esewa-mode-html"' in html
    resp = client.post("/_sandbox/esewa/quirk", data={"quirk": "number", "redirect": 1})
    assert resp.status_code == 303
    html = client.get("/_sandbox/esewa/").get_data(as_text=True)
    assert '<span class="status" id="esewa-quirk">number</span>' in html
