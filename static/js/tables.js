// A table wider than the screen scrolls inside its own box (site.css). Make such
// a box reachable and scrollable from the keyboard, and name it for screen
// readers after the table's caption or the heading above it.
(function () {
  "use strict";
  function label(table) {
    var caption = table.querySelector("caption");
    if (caption) { return caption.textContent.trim(); }
    var el = table.previousElementSibling;
    while (el && !/^H[1-6]$/.test(el.tagName)) { el = el.previousElementSibling; }
    if (!el) {
      var section = table.closest("section, article, main");
      el = section && section.querySelector("h1, h2, h3");
    }
    return el ? el.textContent.trim() : document.title;
  }
  function mark() {
    document.querySelectorAll("main table").forEach(function (table) {
      var scrolls = table.scrollWidth > table.clientWidth + 1;
      if (scrolls && !table.hasAttribute("tabindex")) {
        table.setAttribute("tabindex", "0");
        table.setAttribute("role", "region");
        table.setAttribute("aria-label", label(table));
        table.dataset.scrollBox = "1";
      } else if (!scrolls && table.dataset.scrollBox) {
        table.removeAttribute("tabindex");
        table.removeAttribute("role");
        table.removeAttribute("aria-label");
        delete table.dataset.scrollBox;
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mark);
  } else { mark(); }
  window.addEventListener("resize", mark);
})();
