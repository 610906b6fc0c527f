// The 叫应 board of a warning: re-rendered by the server every few seconds and swapped in, so
// acknowledgements, escalations and evacuation reports appear without a reload.
(function () {
  "use strict";
  var node = document.getElementById("tracking-config");
  var body = document.getElementById("tracking-body");
  var updated = document.getElementById("tracking-updated");
  if (!node || !body) {
    return;
  }
  var cfg = JSON.parse(node.textContent);
  var text = cfg.strings;
  var timer = null;
  var stopped = false;
  var busy = false;

  function say(message) {
    if (updated) {
      updated.textContent = message;
    }
  }

  function schedule() {
    if (!stopped) {
      timer = window.setTimeout(poll, cfg.pollMs);
    }
  }

  function poll() {
    timer = null;
    if (document.hidden) {
      schedule();
      return;
    }
    busy = true;
    fetch(cfg.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) {
          stopped = true;
          say(text.session);
          return null;
        }
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        if (!data) {
          return;
        }
        body.innerHTML = data.html; // rendered and escaped by the server's template
        say(text.updated.replace("%(time)s", data.checked_at));
      })
      .catch(function () {
        say(text.offline);
      })
      .then(function () {
        busy = false;
        schedule();
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer === null && !busy && !stopped) {
      poll();
    }
  });
  schedule();
})();
