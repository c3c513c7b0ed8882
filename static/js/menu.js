// The main navigation on a narrow screen: folded behind a Menu button that says
// whether it is open (aria-expanded). Without this script the links just wrap,
// so the menu never depends on JavaScript.
(function () {
  "use strict";
  var button = document.querySelector(".menu-toggle");
  var nav = document.getElementById("site-nav");
  if (!button || !nav) { return; }
  document.documentElement.classList.add("js-menu");
  button.hidden = false;
  function set(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("open", open);
  }
  button.addEventListener("click", function () {
    set(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && nav.classList.contains("open")) {
      set(false);
      button.focus();
    }
  });
})();
