// LAM Mesh console: live updates by polling. An element with data-poll="URL" has its inner HTML
// replaced by what URL returns, every data-interval ms; polling stops once the fragment reports
// data-terminal="yes" (a finished task) or the element leaves the page. No framework, no CDN.
(function () {
  "use strict";
  function poll(element) {
    var url = element.getAttribute("data-poll");
    var interval = parseInt(element.getAttribute("data-interval") || "2000", 10);
    var state = document.getElementById("live-state");
    function tick() {
      if (!document.body.contains(element)) { return; }
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (response.redirected || response.status === 401) { window.location = "/login"; return null; }
          if (!response.ok) { throw new Error(response.status + " " + response.statusText); }
          return response.text();
        })
        .then(function (html) {
          if (html === null) { return; }
          element.innerHTML = html;
          if (state) { state.textContent = "live · updated " + new Date().toLocaleTimeString(); state.className = "muted live"; }
          if (element.querySelector('[data-terminal="yes"]')) { return; }
          window.setTimeout(tick, interval);
        })
        .catch(function (error) {
          if (state) { state.textContent = "not updating: " + error.message; state.className = "error live"; }
          window.setTimeout(tick, interval * 2);
        });
    }
    window.setTimeout(tick, interval);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(poll);
  });
})();
