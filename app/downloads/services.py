"""Digital book files: private storage, signed expiring links, counted downloads.

Files live under `instance/books/` with random names and are never served from a
public path. A buyer with active access asks for a link; the link is signed with
the app's secret (itsdangerous, its own salt), names the access row and the order
that granted it, and expires after `DOWNLOAD_LINK_SECONDS` (15 minutes). Opening
it re-checks everything — signature, age, access still valid and not revoked (a
refund revokes it), order still paid — and counts the download with a conditional
UPDATE, at most `DOWNLOADS_PER_PURCHASE` times per purchase.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from app.catalog.models import Product
from app.db import utcnow
from app.downloads.models import DownloadCounter
from app.extensions import db
from app.library.models import ProductAccess
from app.orders.models import Order
from app.orders.states import is_paid
from app.services_errors import NotFound, ServiceError

BOOK_EXTENSIONS = (".pdf", ".epub", ".mobi", ".azw3", ".zip", ".txt")
_SALT = "book-download-v1"


def link_seconds() -> int:
    return int(current_app.config.get("DOWNLOAD_LINK_SECONDS", 900))


def downloads_per_purchase() -> int:
    return int(current_app.config.get("DOWNLOADS_PER_PURCHASE", 5))


def upload_limit() -> int:
    return int(current_app.config.get("BOOK_UPLOAD_MAX_BYTES", 50 * 1024 * 1024))


def books_dir() -> Path:
    folder = Path(current_app.instance_path) / "books"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


# --- upload (staff) ------------------------------------------------------------


def store_book_file(product_id: int, upload: FileStorage | None) -> Product:
    """Save an uploaded book under a random name and attach it to the product."""
    product = db.session.get(Product, product_id)
    if product is None or product.type != "digital_book":
        raise NotFound("PRODUCT_NOT_FOUND", _("No such digital book."))
    if upload is None or not upload.filename:
        raise ServiceError("FILE_REQUIRED", _("Choose a file to upload."), 400)
    original = secure_filename(upload.filename) or "book"
    extension = Path(original).suffix.lower()
    if extension not in BOOK_EXTENSIONS:
        raise ServiceError(
            "FILE_TYPE_NOT_ALLOWED",
            _("Upload one of: %(types)s.", types=", ".join(BOOK_EXTENSIONS)),
            422,
            {"extension": extension},
        )
    stored = secrets.token_hex(16) + extension
    target = books_dir() / stored
    upload.save(target)
    size = target.stat().st_size
    if size == 0 or size > upload_limit():
        target.unlink(missing_ok=True)
        raise ServiceError(
            "FILE_SIZE", _("The file is empty or larger than allowed."), 413
        )
    product.file_path = stored
    product.file_name = original
    db.session.flush()
    return product


# --- links ---------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def _active_access(user_id: int, product_id: int) -> ProductAccess | None:
    access = db.session.scalar(
        select(ProductAccess).where(
            ProductAccess.user_id == user_id, ProductAccess.product_id == product_id
        )
    )
    if access is None or not _still_valid(access):
        return None
    return access


def _still_valid(access: ProductAccess) -> bool:
    if access.revoked_at is not None:
        return False
    if access.valid_until is not None and access.valid_until <= utcnow():
        return False
    order = db.session.get(Order, access.order_id)
    return order is not None and is_paid(order.status)


@dataclass(frozen=True)
class Link:
    token: str
    expires_in: int
    downloads_left: int


def _counter(order_id: int, product_id: int, user_id: int) -> DownloadCounter:
    counter = db.session.scalar(
        select(DownloadCounter).where(
            DownloadCounter.order_id == order_id,
            DownloadCounter.product_id == product_id,
        )
    )
    if counter is not None:
        return counter
    counter = DownloadCounter(
        order_id=order_id,
        product_id=product_id,
        user_id=user_id,
        max_downloads=downloads_per_purchase(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(counter)
            db.session.flush()
    except IntegrityError:  # a concurrent request created it
        counter = db.session.scalar(
            select(DownloadCounter).where(
                DownloadCounter.order_id == order_id,
                DownloadCounter.product_id == product_id,
            )
        )
    return counter


def issue_link(user_id: int, product_id: int) -> Link:
    """A signed link for a buyer with active access; 404 for anyone else."""
    access = _active_access(user_id, product_id)
    product = db.session.get(Product, product_id)
    if access is None or product is None or product.type != "digital_book":
        raise NotFound("NO_ACCESS", _("You have no active access to this book."))
    if not product.file_path:
        raise NotFound("NO_FILE", _("This book's file is not available yet."))
    counter = _counter(access.order_id, product_id, user_id)
    left = counter.max_downloads - counter.used
    if left <= 0:
        raise ServiceError(
            "DOWNLOAD_LIMIT_REACHED",
            _(
                "This purchase has used all %(count)s downloads.",
                count=counter.max_downloads,
            ),
            403,
        )
    token = _serializer().dumps(
        {
            "a": access.id,
            "o": access.order_id,
            "p": product_id,
            "n": secrets.token_urlsafe(8),
        }
    )
    return Link(token=token, expires_in=link_seconds(), downloads_left=left)


def open_link(token: str) -> tuple[Path, str]:
    """Check a link and count one download; returns (file path, download name).

    Expired links are 403 LINK_EXPIRED; forged or unknown ones are 404; revoked
    access (refund) or a used-up allowance is 403. Nothing is served then.
    """
    try:
        payload = _serializer().loads(token, max_age=link_seconds())
    except SignatureExpired:
        raise ServiceError(
            "LINK_EXPIRED",
            _("This download link has expired. Open your library for a new one."),
            403,
        ) from None
    except BadSignature:
        raise NotFound("LINK_INVALID", _("No such download.")) from None
    if not isinstance(payload, dict) or not {"a", "o", "p"} <= set(payload):
        raise NotFound("LINK_INVALID", _("No such download."))
    access = db.session.get(ProductAccess, payload["a"])
    if (
        access is None
        or access.order_id != payload["o"]
        or access.product_id != payload["p"]
    ):
        raise NotFound("LINK_INVALID", _("No such download."))
    if not _still_valid(access):
        raise ServiceError(
            "ACCESS_REVOKED", _("Access to this book has ended or was revoked."), 403
        )
    product = db.session.get(Product, access.product_id)
    path = books_dir() / (product.file_path or "")
    if not product.file_path or not path.is_file():
        raise NotFound("NO_FILE", _("This book's file is not available."))
    counted = db.session.execute(
        update(DownloadCounter)
        .where(
            DownloadCounter.order_id == access.order_id,
            DownloadCounter.product_id == access.product_id,
            DownloadCounter.used < DownloadCounter.max_downloads,
        )
        .values(used=DownloadCounter.used + 1, last_download_at=utcnow())
    )
    if counted.rowcount != 1:
        raise ServiceError(
            "DOWNLOAD_LIMIT_REACHED",
            _("This purchase has used all of its downloads."),
            403,
        )
    name = product.file_name or f"{product.slug}{path.suffix}"
    return path, name


def downloads_left(order_id: int, product_id: int) -> int | None:
    counter = db.session.scalar(
        select(DownloadCounter).where(
            DownloadCounter.order_id == order_id,
            DownloadCounter.product_id == product_id,
        )
    )
    if counter is None:
        return None
    return counter.max_downloads - counter.used
