// Event pages: attendee rows follow the chosen quantities, the order page refreshes
// itself while the payment is open, and the printable page has a print button.
// Words and number formats come from the page (data-* attributes written by the
// server in the reader's language), so this file holds no text of its own.
(function () {
  "use strict";

  // --- the ticket form -------------------------------------------------------
  var form = document.getElementById("ticket-form");
  if (form) {
    var selects = form.querySelectorAll("select[data-qty]");
    var rows = form.querySelectorAll("fieldset[data-attendee]");
    var total = document.getElementById("ticket-total");
    var hint = document.getElementById("attendees-hint");

    var native = function (text) {
      var digits = (total && total.dataset.digits) || "0123456789";
      return text.replace(/[0-9]/g, function (c) { return digits.charAt(parseInt(c, 10)); });
    };

    // Same output as the server's money filter: sign, grouping, native digits.
    var formatTotal = function (minor) {
      var d = total.dataset;
      var places = parseInt(d.places || "0", 10);
      var whole = Math.floor(minor / Math.pow(10, places)).toString();
      var frac = places ? (minor % Math.pow(10, places)).toString() : "";
      while (frac.length < places) { frac = "0" + frac; }
      var grouped = whole;
      if (d.grouping === "lakh" && whole.length > 3) {
        var head = whole.slice(0, -3);
        grouped = head.replace(/\B(?=(\d{2})+(?!\d))/g, ",") + "," + whole.slice(-3);
      } else {
        grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
      }
      var text = native(grouped + (places ? "." + frac : ""));
      return (d.prefix || "") + text + (d.suffix || "");
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
        if (!count) {
          hint.textContent = hint.dataset.hintNone;
        } else if (count === 1) {
          hint.textContent = hint.dataset.hintOne;
        } else {
          hint.textContent = hint.dataset.hintMany.replace("{n}", native(String(count)));
        }
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
