// The dashboard's behaviour, from this origin only (the Content-Security-Policy allows no inline
// script): confirmations, and live updates of the campaign list and of one campaign.
(function () {
  "use strict";

  // Forms with data-confirm ask first (the delete buttons).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // The campaign list: keep progress and counts current without a reload (the form is left alone).
  function liveList() {
    if (!document.getElementById("campaigns")) return;
    function tick() {
      if (document.hidden || document.activeElement && document.activeElement.closest("form")) {
        return setTimeout(tick, 3000);
      }
      fetch(location.href, {credentials: "same-origin"})
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("campaigns");
          var table = document.getElementById("campaigns");
          if (fresh && table) table.replaceWith(fresh);
          setTimeout(tick, 3000);
        })
        .catch(function () { setTimeout(tick, 10000); });
    }
    setTimeout(tick, 3000);
  }

  // One campaign: poll the live block, swap it in, derive the send rate.
  function liveCampaign() {
    var box = document.getElementById("live");
    if (!box || !box.dataset.url) return;
    var last = null;
    function tick() {
      fetch(box.dataset.url, {credentials: "same-origin", headers: {"Accept": "text/html"}})
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) {
          box.innerHTML = html;
          var inner = document.getElementById("live-inner");
          var now = Date.now(), sent = Number(inner.dataset.sent);
          if (last && now > last.t) {
            var rate = (sent - last.sent) * 1000 / (now - last.t);
            document.getElementById("kpi-rate").textContent = rate.toFixed(1) + "/s";
          }
          last = {t: now, sent: sent};
          var st = inner.dataset.state;
          if (st !== "COMPLETED" && st !== "ENDED") setTimeout(tick, 1500);
        })
        .catch(function () { setTimeout(tick, 5000); });
    }
    setTimeout(tick, 1500);
  }

  liveList();
  liveCampaign();
})();
