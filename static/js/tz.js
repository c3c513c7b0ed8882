// Tell the server this browser's time zone (an IANA name such as Asia/Tokyo), so
// deadlines and order times are shown in it from the next page on. The server
// checks the name against its zone database and ignores anything else.
(function () {
  "use strict";
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone || !/^[A-Za-z][A-Za-z0-9_+\-\/]{0,63}$/.test(zone)) { return; }
    if (document.cookie.split("; ").indexOf("tz=" + zone) !== -1) { return; }
    document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
  } catch (e) { /* no Intl: the shop's default zone is used */ }
})();
