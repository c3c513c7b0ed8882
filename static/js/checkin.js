// Door page: read the ticket QR with the camera where the browser has
// BarcodeDetector (progressive enhancement: the typed code and keyboard-wedge
// scanners work without it), and keep the per-type counts fresh.
(function () {
  var form = document.getElementById("scan-form");
  if (!form) { return; }
  var code = document.getElementById("code");
  var texts = document.getElementById("camera-texts").dataset;
  var start = document.getElementById("camera-start");
  var box = document.getElementById("camera-box");
  var video = document.getElementById("camera-video");
  var status = document.getElementById("camera-status");
  code.focus();

  if ("BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    start.hidden = false;
    start.addEventListener("click", function () {
      var detector;
      try { detector = new window.BarcodeDetector({formats: ["qr_code"]}); }
      catch (e) { status.textContent = texts.unsupported; box.hidden = false; return; }
      navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}})
        .then(function (stream) {
          box.hidden = false;
          status.textContent = texts.looking;
          video.srcObject = stream;
          return video.play().then(function () { return stream; });
        })
        .then(function (stream) {
          function look() {
            detector.detect(video).then(function (found) {
              if (found.length && found[0].rawValue) {
                stream.getTracks().forEach(function (t) { t.stop(); });
                code.value = found[0].rawValue;
                form.submit();
              } else {
                window.requestAnimationFrame(look);
              }
            }).catch(function () { window.setTimeout(look, 300); });
          }
          look();
        })
        .catch(function () { box.hidden = false; status.textContent = texts.denied; });
    });
  }

  var table = document.getElementById("counts");
  function refresh() {
    fetch(table.dataset.url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (!body.success) { return; }
        var rows = table.tBodies[0].rows;
        body.data.forEach(function (c, i) {
          if (!rows[i]) { return; }
          rows[i].querySelector("[data-in]").textContent = c.checkedIn.toLocaleString(document.documentElement.lang);
          rows[i].querySelector("[data-sold]").textContent = c.sold.toLocaleString(document.documentElement.lang);
        });
      })
      .catch(function () {});
  }
  window.setInterval(refresh, 15000);
})();
