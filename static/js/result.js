// Poll the order until it leaves payment_pending, then show what comes next.
// Status words and messages come from the page's data-label-* / data-message-*
// attributes, written by the server in the reader's language.
(function () {
  var box = document.getElementById("result");
  if (!box) { return; }
  var orderId = box.dataset.orderId;
  var key = box.dataset.key;
  function text(kind, status) {
    return box.getAttribute("data-" + kind + "-" + status);
  }
  function show(status) {
    box.dataset.status = status;
    var badge = document.getElementById("order-status");
    badge.textContent = text("label", status) || status.replace("_", " ");
    badge.className = "status status-" + status;
    var message = text("message", status);
    if (message) { document.getElementById("status-message").textContent = message; }
    document.querySelectorAll("[data-show-when]").forEach(function (el) {
      el.hidden = el.dataset.showWhen.split(" ").indexOf(status) < 0;
    });
  }
  show(box.dataset.status);
  var tries = 0;
  function poll() {
    if (box.dataset.status !== "payment_pending" || tries > 200) { return; }
    tries += 1;
    fetch("/api/orders/" + orderId + "?key=" + encodeURIComponent(key), {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (body) { if (body.success) { show(body.data.status); } })
      .catch(function () {})
      .finally(function () { setTimeout(poll, 1000); });
  }
  setTimeout(poll, 500);
})();
