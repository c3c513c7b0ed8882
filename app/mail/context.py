"""Turn the ids stored in an `email.send` event into objects for the template.

An email is rendered when it is sent, from live data. Which objects stand behind
an id (`order_id` -> the order, `payment_id` -> the attempt) and what a template
needs on top (tickets, a training session) is supplied by the domains that own
them: `app.composition` installs the loaders, so mail imports no domain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

# Adds objects to the template context in place (may read ids already there).
ContextLoader = Callable[[dict[str, Any]], None]

_EXTENSION = "storefront.mail_context"


@dataclass(frozen=True)
class MailContext:
    loaders: Sequence[ContextLoader] = ()  # run for every email, in order
    per_template: Mapping[str, ContextLoader] = field(default_factory=dict)


def install(app: Flask, context: MailContext) -> None:
    """Called once by `app.composition.wire`."""
    app.extensions[_EXTENSION] = context


def build_context(template: str, context: dict[str, Any]) -> dict[str, Any]:
    ctx = dict(context)
    ctx["base_url"] = current_app.config["PUBLIC_BASE_URL"]
    installed: MailContext = current_app.extensions.get(_EXTENSION, MailContext())
    for loader in installed.loaders:
        loader(ctx)
    extra = installed.per_template.get(template)
    if extra is not None:
        extra(ctx)
    return ctx
