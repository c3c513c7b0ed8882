"""axe-core inside Chromium: the engine comes from the pinned PyPI package
`axe-playwright-python` (requirements-dev.txt), which ships axe.min.js; the
test runs it with axe's default rules and reads the violations."""

from __future__ import annotations

from axe_playwright_python.base import AXE_SCRIPT

# Frames are checked on their own pages (the mailbox's HTML part is a
# sandboxed frame with no script, so axe cannot run inside it).
RUN = "axe.run(document, {resultTypes: ['violations'], iframes: false})"


def install(context) -> None:
    """Load axe into every page of a browser context before the page's own
    scripts (once per context, instead of sending 570 kB per check)."""
    context.add_init_script(AXE_SCRIPT)


def violations(page) -> list[dict]:
    """Each violation with its rule, impact and where (a few selectors)."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    found = page.evaluate(RUN)["violations"]
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [", ".join(n["target"]) for n in v["nodes"][:3]],
        }
        for v in found
    ]


_WIDEST = """() => {
  const width = document.documentElement.clientWidth;
  const wide = Math.max(document.documentElement.scrollWidth,
                        document.body.scrollWidth) - width;
  let culprit = "";
  if (wide > 0) {
    for (const el of document.querySelectorAll("body *")) {
      const box = el.getBoundingClientRect();
      if (box.right > width + 1 && box.width > 0) {
        culprit = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
          (el.className && typeof el.className === "string"
            ? "." + el.className.trim().split(/\\s+/).join(".") : "");
      }
    }
  }
  return [wide, culprit];
}"""


def overflow(page) -> tuple[int, str]:
    """How many pixels the page scrolls sideways (0 when it fits), and the
    innermost element that sticks out."""
    wide, culprit = page.evaluate(_WIDEST)
    return wide, culprit
