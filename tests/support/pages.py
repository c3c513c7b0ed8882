"""Read docs/pages.md: the page tables (page, route, role, example) and the
"Not pages" table (route, reason)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PAGES_MD = Path(__file__).resolve().parents[2] / "docs" / "pages.md"
# Routes nobody reads as pages, left out of docs/pages.md as a whole.
OUTSIDE = ("/api/", "/rpc/", "/static/", "/admin/static/", "/_sandbox/")
ROLES = ("visitor", "customer", "organizer", "admin")
_CODE = re.compile(r"^`([^`]+)`$")


@dataclass(frozen=True)
class Page:
    name: str
    route: str
    role: str
    example: str


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def read() -> tuple[list[Page], dict[str, str]]:
    pages: list[Page] = []
    not_pages: dict[str, str] = {}
    in_not_pages = False
    for line in PAGES_MD.read_text().splitlines():
        if line.startswith("## "):
            in_not_pages = line.strip() == "## Not pages"
            continue
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = _cells(line)
        route = _CODE.match(cells[1] if not in_not_pages else cells[0])
        if route is None:
            continue  # a header row
        if in_not_pages:
            not_pages[route.group(1)] = cells[1]
        else:
            example = _CODE.match(cells[3])
            assert example and cells[2] in ROLES, f"malformed row: {line}"
            pages.append(Page(cells[0], route.group(1), cells[2], example.group(1)))
    return pages, not_pages
