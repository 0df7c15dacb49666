// Live refresh: an element with data-poll="/url" has its content replaced by the URL's
// answer every data-every seconds while the page is visible. No framework, no CDN.
(function () {
  function poll(el) {
    var every = (parseInt(el.getAttribute("data-every"), 10) || 10) * 1000;
    setInterval(function () {
      if (document.hidden) return;
      fetch(el.getAttribute("data-poll"), { credentials: "same-origin", headers: { "X-Requested-With": "poll" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) el.innerHTML = html; })
        .catch(function () {});
    }, every);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(poll);
  });
})();
