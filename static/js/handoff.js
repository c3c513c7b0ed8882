// Submit the gateway hand-off form as soon as the page loads; the visible button
// is the fallback for browsers without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-autosubmit]");
  if (form) { form.submit(); }
});
