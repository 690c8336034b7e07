// Live case pages (bot/web/dashboard/live.py): told that cases changed, the page fetches
// itself again and swaps each part marked data-live. A form someone is writing in is
// left alone. Without this script the pages work by reload.
(function () {
  "use strict";
  var script = document.currentScript;
  var source = script && script.dataset.source;
  if (!source || !window.EventSource || !window.fetch || !window.DOMParser) return;
  // The page's own address: after a refused form the browser shows the POST's URL.
  var address = script.dataset.page || window.location.href;
  // The mark the page was rendered at: a change before the stream connects still counts.
  var seen = script.dataset.mark || null;
  var busy = false;
  var again = false; // a change came while fetching: fetch once more after

  function writing(part) {
    var fields = part.querySelectorAll("textarea, input:not([type=hidden]), select");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i] === document.activeElement) return true;
      if (fields[i].tagName !== "SELECT" && fields[i].value) return true;
    }
    return false;
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(address, { credentials: "same-origin", headers: { "X-Live": "1" } })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (part) {
          var next = fresh.querySelector('[data-live="' + part.dataset.live + '"]');
          if (next && !writing(part)) part.replaceWith(next);
        });
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  var events = new EventSource(source);
  events.addEventListener("cases", function (event) {
    if (seen !== null && event.data !== seen) refresh();
    seen = event.data;
  });
})();
