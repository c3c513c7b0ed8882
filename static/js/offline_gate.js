// Offline gate: download the signed check-in list while online, keep scanning
// without network, upload the admissions later.
// The list is stored (localStorage) as the exact text the server signed; its
// HMAC key is imported as a non-extractable CryptoKey kept in IndexedDB, so a
// list edited on the device fails verification and is not used.
(function () {
  var app = document.getElementById("gate-app");
  if (!app) { return; }
  var t = app.dataset;
  var eventId = t.eventId;
  var LIST = "door-list-" + eventId, SCANS = "door-scans-" + eventId, USED = "door-used-" + eventId;
  var state = document.getElementById("list-state");
  var result = document.getElementById("offline-result");
  var pending = document.getElementById("pending");
  var codeInput = document.getElementById("offline-code");
  var gateInput = document.getElementById("offline-gate");
  var tickets = null;

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, k) { return values[k]; });
  }
  function read(key, fallback) {
    try { return JSON.parse(localStorage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }
  function write(key, value) { localStorage.setItem(key, JSON.stringify(value)); }
  function bytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  function keyStore(mode, fn) {
    return new Promise(function (resolve, reject) {
      var open = indexedDB.open("door-keys", 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("keys"); };
      open.onerror = function () { reject(open.error); };
      open.onsuccess = function () {
        var tx = open.result.transaction("keys", mode);
        var req = fn(tx.objectStore("keys"));
        tx.oncomplete = function () { resolve(req && req.result); };
        tx.onerror = function () { reject(tx.error); };
      };
    });
  }
  function showPending() {
    pending.textContent = fmt(t.tPending, {n: read(SCANS, []).length});
  }
  function load() {
    var stored = read(LIST, null);
    if (!stored) { state.textContent = t.tNoList; return Promise.resolve(); }
    if (!window.crypto || !crypto.subtle || !window.indexedDB) {
      state.textContent = t.tNoCrypto; return Promise.resolve();
    }
    return keyStore("readonly", function (s) { return s.get(eventId); })
      .then(function (key) {
        if (!key) { throw new Error("no key"); }
        return crypto.subtle.verify("HMAC", key, bytes(stored.signature), new TextEncoder().encode(stored.list));
      })
      .then(function (good) {
        if (!good) { throw new Error("bad signature"); }
        var list = JSON.parse(stored.list);
        tickets = {};
        list.tickets.forEach(function (x) { tickets[x.code] = x; });
        state.textContent = fmt(t.tList, {n: list.tickets.length, when: new Date(list.generatedAt).toLocaleString(document.documentElement.lang)});
        app.dataset.ready = "1";
      })
      .catch(function () { tickets = null; state.textContent = t.tAltered; });
  }
  function download() {
    fetch(t.listUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (!body.success) { throw new Error("refused"); }
        return crypto.subtle.importKey("raw", bytes(body.data.key), {name: "HMAC", hash: "SHA-256"}, false, ["verify"])
          .then(function (key) { return keyStore("readwrite", function (s) { return s.put(key, eventId); }); })
          .then(function () { write(LIST, {list: body.data.list, signature: body.data.signature}); });
      })
      .then(load)
      .catch(function () { state.textContent = t.tDownloadFailed; });
  }
  function show(ok, head, lines) {
    result.hidden = false;
    result.className = "scan " + (ok ? "scan-ok" : "scan-bad");
    result.setAttribute("role", ok ? "status" : "alert");
    result.textContent = "";
    [head].concat(lines).forEach(function (line, i) {
      var p = document.createElement("p");
      if (i === 0) { p.className = "scan-head"; }
      p.textContent = line;
      result.appendChild(p);
    });
  }
  function scan(raw) {
    var code = raw.replace(/[\s-]/g, "").toUpperCase();
    if (!code) { return; }
    if (!tickets) { show(false, t.tAltered, []); return; }
    var ticket = tickets[code];
    if (!ticket) { show(false, t.tUnknown, [code]); return; }
    var who = [ticket.attendee, ticket.ticketType + " · " + code];
    var used = read(USED, {});
    if (used[code]) { show(false, t.tUsed, [fmt(t.tUsedHere, {when: new Date(used[code]).toLocaleString(document.documentElement.lang)})].concat(who)); return; }
    if (ticket.status === "already_checked_in") { show(false, t.tUsed, [t.tUsedBefore].concat(who)); return; }
    if (ticket.status === "refunded") { show(false, t.tRefunded, who); return; }
    if (ticket.status === "cancelled") { show(false, t.tCancelled, who); return; }
    var now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    used[code] = now;
    write(USED, used);
    var scans = read(SCANS, []);
    scans.push({code: code, scannedAt: now, gate: gateInput.value.trim() || "main"});
    write(SCANS, scans);
    show(true, t.tValid, who);
    showPending();
  }
  function upload() {
    var scans = read(SCANS, []);
    if (!scans.length) { return; }
    fetch(t.uploadUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": t.csrf},
      body: JSON.stringify({gate: gateInput.value.trim() || "main", scans: scans})
    })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (!body.success) { throw new Error("refused"); }
        var left = read(SCANS, []).slice(scans.length);
        write(SCANS, left);
        var lost = body.data.results.filter(function (x) { return x.result !== "checked_in"; }).length;
        state.textContent = fmt(t.tUploaded, {n: scans.length, c: lost});
        showPending();
      })
      .catch(function () { state.textContent = t.tUploadFailed; });
  }
  document.getElementById("download").addEventListener("click", download);
  document.getElementById("upload").addEventListener("click", upload);
  document.getElementById("offline-form").addEventListener("submit", function (e) {
    e.preventDefault();
    scan(codeInput.value);
    codeInput.value = "";
    codeInput.focus();
  });
  window.addEventListener("online", upload);
  showPending();
  load();
})();
