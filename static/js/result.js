// Poll the order until it leaves payment_pending, then show what comes next.
(function () {
  var box = document.getElementById("result");
  if (!box) { return; }
  var orderId = box.dataset.orderId;
  var key = box.dataset.key;
  var messages = {
    paid: box.dataset.kind === "training" ? "Payment received: you are enrolled." : "Payment received. Thank you!",
    on_hold: "Waiting for your payment at the store (see the instructions on your order page).",
    failed: "The payment did not go through. You can try again.",
    cancelled: "This order was cancelled.",
    refunded: "This order was refunded."
  };
  function show(status) {
    box.dataset.status = status;
    var badge = document.getElementById("order-status");
    // A paid training order means the customer is enrolled: say so.
    var label = (box.dataset.kind === "training" && status === "paid") ? "enrolled" : status;
    badge.textContent = label.replace("_", " ");
    badge.className = "status status-" + status;
    if (messages[status]) { document.getElementById("status-message").textContent = messages[status]; }
    document.querySelectorAll("[data-show-when]").forEach(function (el) {
      el.hidden = el.dataset.showWhen !== status;
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
