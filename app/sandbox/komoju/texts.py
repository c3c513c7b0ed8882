"""The hosted page's words in the session's `default_locale` (gateways.md 2.2).

KOMOJU shows its page in Japanese, English or Korean. The sandbox speaks
Japanese and English; a Korean session gets English, the language KOMOJU falls
back to for everyone who does not read Japanese.
"""

from __future__ import annotations

from app.sandbox.states import KomojuPaymentStatus, KomojuSessionStatus

PAGE_LANGUAGES = ("ja", "en")

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "KOMOJU sandbox checkout",
        "session": "KOMOJU sandbox · session",
        # The heading is "Pay ¥1,200" in English and "¥1,200 のお支払い" in Japanese.
        "pay_before": "Pay ",
        "pay_after": "",
        "order": "Order",
        "status": "Status",
        "declined": "The last attempt was declined. You may try again.",
        "card": "Credit card",
        "card_hint": "Test card 4111 1111 1111 1111 "
        "(declines use 4123 1111 1111 1000).",
        "pay_by_card": "Pay by card",
        "card_declined": "Card is declined",
        "konbini": "Konbini",
        "konbini_hint": "Issues a Lawson payment slip; pay it, let it expire or "
        "cancel it from this page or the sandbox index.",
        "issue_slip": "Issue konbini slip",
        "cancel_and_return": "Cancel and return to the shop",
        "expired": "This session has expired. Start the checkout again from the shop.",
        "merchant_cancelled": "The merchant cancelled this session.",
        "payment": "Payment",
        "store": "Store",
        "receipt": "Receipt",
        "confirmation_code": "Confirmation code",
        "pay_by": "Pay by",
        "pay_at_store": "Pay at the store",
        "let_expire": "Let it expire",
        "cancel_slip": "Cancel the slip",
        "index": "KOMOJU sandbox index",
    },
    "ja": {
        "title": "KOMOJU サンドボックス決済",
        "session": "KOMOJU サンドボックス · セッション",
        "pay_before": "",
        "pay_after": " のお支払い",
        "order": "ご注文番号",
        "status": "状態",
        "declined": "前回のお支払いは承認されませんでした。もう一度お試しください。",
        "card": "クレジットカード",
        "card_hint": "テストカード 4111 1111 1111 1111"
        "（拒否されるカードは 4123 1111 1111 1000）。",
        "pay_by_card": "カードで支払う",
        "card_declined": "カードが拒否される",
        "konbini": "コンビニ決済",
        "konbini_hint": "ローソンの払込票を発行します。このページまたはサンドボックスの"
        "一覧から、支払い・期限切れ・取り消しができます。",
        "issue_slip": "払込票を発行する",
        "cancel_and_return": "キャンセルしてショップに戻る",
        "expired": "このセッションは有効期限が切れました。"
        "ショップでもう一度お手続きください。",
        "merchant_cancelled": "加盟店がこのセッションをキャンセルしました。",
        "payment": "お支払い",
        "store": "店舗",
        "receipt": "受付番号",
        "confirmation_code": "確認番号",
        "pay_by": "お支払い期限",
        "pay_at_store": "店頭で支払う",
        "let_expire": "期限切れにする",
        "cancel_slip": "払込票を取り消す",
        "index": "KOMOJU サンドボックス一覧",
    },
}

STATUS_NAMES: dict[str, dict[str, str]] = {
    "ja": {
        KomojuSessionStatus.PENDING: "お支払い待ち",
        KomojuSessionStatus.COMPLETED: "完了",
        KomojuSessionStatus.CANCELLED: "キャンセル済み",
        KomojuPaymentStatus.AUTHORIZED: "お支払い待ち（払込票発行済み）",
        KomojuPaymentStatus.CAPTURED: "支払い済み",
        KomojuPaymentStatus.EXPIRED: "期限切れ",
        KomojuPaymentStatus.REFUNDED: "返金済み",
        KomojuPaymentStatus.FAILED: "失敗",
    },
}


def page_language(default_locale: str) -> str:
    return default_locale if default_locale in PAGE_LANGUAGES else "en"


def texts_for(default_locale: str) -> dict[str, str]:
    return TEXTS[page_language(default_locale)]


def status_name(default_locale: str, status: str) -> str:
    """A status in the page's language; English pages show KOMOJU's own word."""
    return STATUS_NAMES.get(page_language(default_locale), {}).get(status, status)
