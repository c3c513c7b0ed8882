"""Carry translations from an older catalog into the current one.

Parallel branches each add strings to the same ``messages.po`` files, so a
merge often conflicts there. The mechanical way out: take one side's catalog,
run ``make messages`` (which adds every string the code now marks), then fill
each entry still untranslated or fuzzy from the other side's catalog with this
script. No translation is invented; an entry neither side translated stays
empty and the completeness test says so.

    python scripts/po_carry.py OLD.po app/translations/ja/LC_MESSAGES/messages.po
"""

from __future__ import annotations

import sys

from babel.messages.pofile import read_po, write_po


def carry(old_path: str, new_path: str) -> int:
    with open(old_path, "rb") as f:
        old = read_po(f)
    with open(new_path, "rb") as f:
        new = read_po(f)
    filled = 0
    for message in new:
        if not message.id:
            continue
        translated = message.string and (
            all(message.string) if isinstance(message.string, tuple) else True
        )
        if translated and not message.fuzzy:
            continue
        source = old.get(message.id, message.context)
        if source is None or source.fuzzy or not source.string:
            continue
        message.string = source.string
        message.flags.discard("fuzzy")
        filled += 1
    with open(new_path, "wb") as f:
        write_po(f, new, width=88, omit_header=False)
    return filled


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print(f"{carry(sys.argv[1], sys.argv[2])} translations carried")
