// Flask-Admin's row checkboxes (for bulk actions, which need JavaScript anyway)
// carry only a title; give each an accessible name: the row's own record id.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  document.querySelectorAll("input.action-rowtoggle").forEach(function (box) {
    box.setAttribute("aria-label", box.title);
  });
  document.querySelectorAll("input.action-checkbox").forEach(function (box) {
    box.setAttribute("aria-label", box.title + " " + box.value);
  });
  document.querySelectorAll("th").forEach(function (th) {
    if (!th.textContent.trim() && !th.querySelector("input")) {
      th.setAttribute("aria-hidden", "true");
      th.setAttribute("role", "presentation");
    }
  });
});
