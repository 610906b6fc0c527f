// The alarm list (监测预警 · 报警): polls /monitoring/alarms/feed every few seconds and swaps in
// the rows that changed, so a new alarm, a cleared one or a colleague's acknowledgement shows
// without a reload. The server renders each row (the same partial as the page), so the forms
// keep working without this script; a row someone is filling in keeps its form.
(function () {
  "use strict";
  var cfgNode = document.getElementById("alarms-config");
  var body = document.getElementById("alarm-rows");
  if (!cfgNode || !body) {
    return;
  }
  var cfg = JSON.parse(cfgNode.textContent);
  var text = cfg.strings;
  var table = document.getElementById("alarm-table");
  var empty = document.getElementById("alarm-empty");
  var total = document.getElementById("alarm-total");
  var unack = document.getElementById("alarm-unack");
  var note = document.getElementById("alarms-note");
  var updated = document.getElementById("alarms-updated");
  var timer = null;
  var failures = 0;
  var inFlight = null;
  var clock = new Intl.DateTimeFormat(cfg.locale, {
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: cfg.timeZone
  });
  var seen = {};
  body.querySelectorAll("tr[data-alarm]").forEach(function (row) { seen[row.getAttribute("data-alarm")] = true; });

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  // A notice or the "done" flag in the address is for this visit only, not for a reload.
  if (window.location.search.indexOf("done=") >= 0) {
    window.history.replaceState(null, "", cfg.pageUrl + window.location.hash);
  }

  function parseRow(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    return holder.content.firstElementChild;
  }

  // Someone is filling in a form of this row: an open form, or the focus inside it.
  function busy(row) {
    return Boolean(row.querySelector("details[open]")) || row.contains(document.activeElement);
  }

  function update(row, fresh) {
    if (!busy(row)) {
      row.replaceWith(fresh);
      return fresh;
    }
    // Keep the row and its form; bring every other cell up to date.
    row.className = fresh.className;
    row.setAttribute("data-status", fresh.getAttribute("data-status"));
    var cells = row.children;
    Array.prototype.forEach.call(fresh.children, function (cell, i) {
      if (cells[i] && !cell.classList.contains("alarm-actions") && cells[i].innerHTML !== cell.innerHTML) {
        cells[i].innerHTML = cell.innerHTML;
      }
    });
    return row;
  }

  function render(data) {
    var current = {};
    body.querySelectorAll("tr[data-alarm]").forEach(function (row) {
      current[row.getAttribute("data-alarm")] = row;
    });
    var wanted = data.rows.map(function (item) {
      var row = current[item.id];
      delete current[item.id];
      if (row && row._html === item.html) {
        return row;
      }
      var fresh = parseRow(item.html);
      if (!fresh) {
        return row;
      }
      fresh._html = item.html;
      if (!row) {
        if (!seen[item.id]) {
          fresh.classList.add("is-new");
        }
        return fresh;
      }
      return update(row, fresh);
    });
    Object.keys(current).forEach(function (id) {
      if (!busy(current[id])) {
        current[id].remove();
      }
    });
    // Put the rows in the feed's order, moving only those out of place (a move loses focus).
    var before = body.firstElementChild;
    wanted.forEach(function (row) {
      if (!row) {
        return;
      }
      seen[row.getAttribute("data-alarm")] = true;
      if (row === before) {
        before = row.nextElementSibling;
      } else {
        body.insertBefore(row, before);
      }
    });
    var any = body.querySelector("tr[data-alarm]") !== null;
    table.hidden = !any;
    empty.hidden = any;
    total.textContent = fill(text.total, { count: data.total });
    unack.textContent = data.unacknowledged ? fill(text.unacknowledged, { count: data.unacknowledged }) : text.noUnacknowledged;
    unack.classList.toggle("has-unack", data.unacknowledged > 0);
    updated.textContent = fill(text.updated, { time: clock.format(new Date(data.now)) });
    body.setAttribute("data-updated", String(data.now));
    showNote("");
  }

  function showNote(message) {
    note.textContent = message;
    note.hidden = !message;
    note.classList.toggle("offline", Boolean(message));
  }

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, delay);
  }

  function poll() {
    window.clearTimeout(timer);
    if (document.hidden) {
      schedule(cfg.pollMs);
      return;
    }
    if (inFlight) {
      inFlight.abort();
    }
    var controller = new AbortController();
    inFlight = controller;
    var search = new URLSearchParams(cfg.query).toString();
    fetch(cfg.feedUrl + (search ? "?" + search : ""), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: controller.signal
    })
      .then(function (response) {
        if (response.status === 401) {
          throw new Error("session");
        }
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        inFlight = null;
        failures = 0;
        render(data);
        schedule(cfg.pollMs);
      })
      .catch(function (error) {
        if (error && error.name === "AbortError") {
          return;
        }
        inFlight = null;
        failures += 1;
        showNote(error && error.message === "session" ? text.session : text.offline);
        schedule(Math.min(cfg.pollMs * Math.pow(2, failures), 60000));
      });
  }

  // The filters apply at once; the address keeps them for a reload or a link.
  var form = document.getElementById("alarm-filters");
  if (form) {
    form.addEventListener("change", function () {
      form.submit();
    });
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      poll();
    }
  });
  schedule(cfg.pollMs);
})();
