// Event pages: attendee rows follow the chosen quantities, the order page refreshes
// itself while the payment is open, and the printable page has a print button.
(function () {
  "use strict";

  // --- the ticket form -------------------------------------------------------
  var form = document.getElementById("ticket-form");
  if (form) {
    var selects = form.querySelectorAll("select[data-qty]");
    var rows = form.querySelectorAll("fieldset[data-attendee]");
    var total = document.getElementById("ticket-total");
    var hint = document.getElementById("attendees-hint");

    var formatTotal = function (minor) {
      var places = parseInt(total.dataset.places || "0", 10);
      var value = minor / Math.pow(10, places);
      return total.dataset.currency + " " + value.toLocaleString("en-US", {
        minimumFractionDigits: places, maximumFractionDigits: places
      });
    };

    var update = function () {
      var wanted = {};
      var sum = 0;
      var count = 0;
      selects.forEach(function (s) {
        var n = parseInt(s.value || "0", 10) || 0;
        wanted[s.dataset.type] = n;
        sum += n * parseInt(s.dataset.price || "0", 10);
        count += n;
      });
      rows.forEach(function (row) {
        var show = parseInt(row.dataset.index, 10) < (wanted[row.dataset.type] || 0);
        row.hidden = !show;
        row.querySelectorAll("input").forEach(function (input) {
          input.required = show;
          input.disabled = !show;
        });
      });
      if (total) { total.textContent = count ? formatTotal(sum) : "—"; }
      if (hint) {
        hint.textContent = count
          ? "One name and email per ticket (" + count + (count === 1 ? " ticket)." : " tickets).")
          : "Choose a quantity above, then fill in who is coming.";
      }
    };
    selects.forEach(function (s) { s.addEventListener("change", update); });
    form.noValidate = false;
    update();
  }

  // --- the order page: refresh while the payment is open -----------------------
  var box = document.getElementById("event-order");
  if (box) {
    var start = box.dataset.status;
    var delay = start === "payment_pending" ? 1000 : 10000;
    var tries = 0;
    var poll = function () {
      if ((start !== "payment_pending" && start !== "on_hold") || tries > 500) { return; }
      tries += 1;
      fetch("/api/orders/" + box.dataset.orderId + "?key=" + encodeURIComponent(box.dataset.key),
            {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (body.success && body.data.status !== start) { window.location.reload(); }
        })
        .catch(function () {})
        .finally(function () { setTimeout(poll, delay); });
    };
    setTimeout(poll, delay);
  }

  // --- printable tickets ---------------------------------------------------------
  var printButton = document.getElementById("print-button");
  if (printButton) {
    printButton.addEventListener("click", function () { window.print(); });
  }
})();
