// The live board (监测预警): draws the objects and their sensors from /api/monitoring/board and
// polls it every few seconds, so values, colours and ages change without a reload. The page
// embeds the first board; every text comes translated in the page's configuration.
(function () {
  "use strict";
  var cfgNode = document.getElementById("board-config");
  var dataNode = document.getElementById("board-data");
  var root = document.getElementById("board");
  if (!cfgNode || !dataNode || !root) {
    return;
  }
  var cfg = JSON.parse(cfgNode.textContent);
  var text = cfg.strings;
  var BANDS = ["normal", "blue", "yellow", "orange", "red"];
  var summaryBox = document.getElementById("board-summary");
  var note = document.getElementById("board-note");
  var updated = document.getElementById("board-updated");
  var alarmLink = document.getElementById("board-alarms");
  var rules = document.getElementById("board-rules");
  var form = document.getElementById("board-filters");
  var query = {};
  Object.keys(cfg.query || {}).forEach(function (key) { query[key] = cfg.query[key]; });
  var page = 1;
  var offset = 0; // the server's clock minus ours: ages are counted on the server's clock
  var layout = "";
  var timer = null;
  var failures = 0;
  var inFlight = null;
  var clock = new Intl.DateTimeFormat(cfg.locale, {
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: cfg.timeZone
  });
  var formats = {};

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (content !== undefined && content !== null) {
      node.textContent = content;
    }
    return node;
  }

  function formatNumber(value) {
    var size = Math.abs(value);
    var digits = size >= 1000 ? 0 : size >= 100 ? 1 : size >= 10 ? 2 : 3;
    if (!formats[digits]) {
      formats[digits] = new Intl.NumberFormat(cfg.locale, { maximumFractionDigits: digits, useGrouping: false });
    }
    return formats[digits].format(value);
  }

  function ago(ms) {
    var seconds = Math.max(0, Math.round(ms / 1000));
    if (seconds < 5) {
      return cfg.ages.now;
    }
    if (seconds < 60) {
      return fill(cfg.ages.s, { n: seconds });
    }
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) {
      return fill(cfg.ages.min, { n: minutes });
    }
    var hours = Math.floor(minutes / 60);
    if (hours < 48) {
      return fill(cfg.ages.h, { n: hours });
    }
    return fill(cfg.ages.d, { n: Math.floor(hours / 24) });
  }

  function serverNow() {
    return Date.now() + offset;
  }

  function isFresh(sensor) {
    return sensor.ts !== null && serverNow() - sensor.ts <= sensor.stale_after * 1000;
  }

  // --- one sensor tile -------------------------------------------------------------------------

  function sensorNode(sensor) {
    var item = el("li", "mon-sensor");
    item.setAttribute("data-sensor", String(sensor.id));
    var name = el("p", "mon-sensor-name");
    var link = el("a", "", sensor.name);
    link.href = cfg.sensorUrl + sensor.id;
    link.title = sensor.code;
    name.appendChild(link);
    var alarms = el("a", "mon-alarm-badge");
    alarms.href = cfg.alarmsUrl;
    name.appendChild(alarms);
    item.appendChild(name);
    item.appendChild(el("p", "mon-sensor-kind", cfg.sensorKinds[sensor.kind] || sensor.kind));
    var reading = el("div", "mon-reading");
    var value = el("p", "mon-value");
    value.appendChild(el("span", "mon-number"));
    value.appendChild(el("span", "mon-unit", sensor.unit));
    reading.appendChild(value);
    reading.appendChild(el("span", "mon-band-label"));
    item.appendChild(reading);
    var meta = el("div", "mon-sensor-meta");
    meta.appendChild(el("time", "mon-age"));
    meta.appendChild(el("span", "mon-status"));
    item.appendChild(meta);
    setSensor(item, sensor);
    return item;
  }

  function setAlarmCount(node, count) {
    var label = fill(text.alarms, { count: count });
    node.hidden = !count;
    if (node.textContent !== String(count)) {
      node.textContent = String(count);
    }
    node.title = label;
    node.setAttribute("aria-label", label);
  }

  function setSensor(item, sensor) {
    item._sensor = sensor;
    setAlarmCount(item.querySelector(".mon-alarm-badge"), sensor.alarms || 0);
    var hasValue = sensor.value !== null && sensor.ts !== null;
    item.setAttribute("data-band", hasValue ? sensor.band : "none");
    item.querySelector(".mon-number").textContent = hasValue ? formatNumber(sensor.value) : "—";
    var status = item.querySelector(".mon-status");
    status.className = "mon-status status-" + sensor.status;
    status.textContent = cfg.statuses[sensor.status] || sensor.status;
    var time = item.querySelector(".mon-age");
    if (hasValue) {
      time.setAttribute("datetime", new Date(sensor.ts).toISOString());
    } else {
      time.removeAttribute("datetime");
    }
    tickSensor(item);
  }

  // The parts that change with time alone: the age, and greying once the reading is stale.
  function tickSensor(item) {
    var sensor = item._sensor;
    var hasValue = sensor.value !== null && sensor.ts !== null;
    var fresh = hasValue && isFresh(sensor);
    var band = !hasValue ? "none" : fresh ? sensor.band : "stale";
    var wanted = "mon-sensor band-" + band + (fresh ? "" : " is-stale");
    if (item.className !== wanted) {
      item.className = wanted;
    }
    var label = !hasValue ? text.noData : !fresh ? text.stale : sensor.level > 0 ? cfg.bands[sensor.band] : "";
    var labelNode = item.querySelector(".mon-band-label");
    if (labelNode.textContent !== label) {
      labelNode.textContent = label;
    }
    item.querySelector(".mon-age").textContent = hasValue ? ago(serverNow() - sensor.ts) : "";
  }

  // --- one object card -------------------------------------------------------------------------

  function objectNode(obj) {
    var card = el("section", "mon-object");
    card.setAttribute("data-object", obj.id);
    var head = el("div", "mon-object-head");
    var title = el("h2", "", obj.name);
    if (obj.is_demo) {
      title.appendChild(document.createTextNode(" "));
      title.appendChild(el("span", "badge demo", text.demo));
    }
    head.appendChild(title);
    head.appendChild(el("span", "mon-object-state"));
    var meta = [cfg.objectKinds[obj.kind] || obj.kind, obj.region_name];
    if (obj.enterprise_name) {
      meta.push(obj.enterprise_name);
    }
    head.appendChild(el("p", "mon-object-meta", meta.join(" · ")));
    card.appendChild(head);
    if (!obj.sensors.length) {
      card.appendChild(el("p", "mon-empty", text.noSensors));
    } else {
      var list = el("ul", "mon-sensors");
      obj.sensors.forEach(function (sensor) { list.appendChild(sensorNode(sensor)); });
      card.appendChild(list);
    }
    setObject(card, obj);
    return card;
  }

  function setObject(card, obj) {
    card.querySelectorAll(".mon-alarm-badge").forEach(function (badge) {
      badge.href = cfg.alarmsUrl + "?object=" + encodeURIComponent(obj.id);
    });
    var state = card.querySelector(".mon-object-state");
    state.textContent = "";
    if (obj.alarms > 0) {
      var open = el("a", "mon-alarm-count", fill(text.alarms, { count: obj.alarms }));
      open.href = cfg.alarmsUrl + "?object=" + encodeURIComponent(obj.id);
      state.appendChild(open);
    }
    if (obj.level > 0) {
      state.appendChild(el("span", "mon-chip band-" + BANDS[obj.level], cfg.bands[BANDS[obj.level]]));
    }
    if (obj.abnormal > 0) {
      state.appendChild(el("span", "mon-abnormal muted", fill(text.abnormal, { count: obj.abnormal })));
    }
  }

  // --- the whole board -------------------------------------------------------------------------

  function layoutOf(data) {
    return data.objects.map(function (obj) {
      return obj.id + ":" + obj.sensors.map(function (s) { return s.id; }).join(",");
    }).join("|");
  }

  function summary(counts) {
    summaryBox.textContent = "";
    summaryBox.appendChild(el("li", "mon-total muted", fill(text.total, { sensors: counts.sensors, abnormal: counts.abnormal })));
    var entries = [["red", "red"], ["orange", "orange"], ["yellow", "yellow"], ["blue", "blue"], ["normal", "normal"]]
      .map(function (pair) { return [pair[0], cfg.bands[pair[1]], "band-" + pair[1]]; });
    entries.push(["stale", text.stale, "band-stale"], ["no_data", text.noData, "band-none"]);
    ["offline", "fault", "maintenance"].forEach(function (status) {
      entries.push([status, cfg.statuses[status], "band-stale"]);
    });
    entries.forEach(function (entry) {
      var count = counts[entry[0]] || 0;
      if (!count && (entry[0] === "stale" || entry[0] === "no_data" || entry[2] === "band-stale")) {
        return;
      }
      var item = el("li");
      var chip = el("span", "mon-chip " + entry[2], entry[1]);
      chip.setAttribute("data-count", entry[0]);
      chip.appendChild(el("strong", "", String(count)));
      item.appendChild(chip);
      summaryBox.appendChild(item);
    });
  }

  function pager(data) {
    if (data.pages <= 1) {
      return null;
    }
    var nav = el("nav", "mon-pager");
    nav.setAttribute("aria-label", text.pages);
    function button(target, label) {
      var node = el("button", "button secondary", label);
      node.type = "button";
      node.addEventListener("click", function () {
        page = target;
        poll();
      });
      nav.appendChild(node);
    }
    if (data.page > 1) {
      button(data.page - 1, text.prev);
    }
    nav.appendChild(el("span", "", fill(text.page, { page: data.page, pages: data.pages })));
    if (data.page < data.pages) {
      button(data.page + 1, text.next);
    }
    return nav;
  }

  function render(data) {
    offset = data.now - Date.now();
    page = data.page;
    var newLayout = layoutOf(data) + "#" + data.page + "/" + data.pages;
    if (newLayout === layout) {
      var cards = root.querySelectorAll(".mon-object");
      data.objects.forEach(function (obj, i) {
        setObject(cards[i], obj);
        var items = cards[i].querySelectorAll(".mon-sensor");
        obj.sensors.forEach(function (sensor, j) { setSensor(items[j], sensor); });
      });
    } else {
      layout = newLayout;
      var fragment = document.createDocumentFragment();
      data.objects.forEach(function (obj) { fragment.appendChild(objectNode(obj)); });
      if (!data.objects.length) {
        fragment.appendChild(el("p", "empty card", query.abnormal ? text.emptyAbnormal : text.empty));
      }
      var nav = pager(data);
      if (nav) {
        fragment.appendChild(nav);
      }
      root.textContent = "";
      root.appendChild(fragment);
    }
    summary(data.counts);
    if (alarmLink) {
      alarmLink.textContent = data.unacknowledged ? fill(text.unacknowledged, { count: data.unacknowledged }) : text.noUnacknowledged;
      alarmLink.classList.toggle("has-unack", data.unacknowledged > 0);
    }
    showNote(data.truncated ? text.truncated : "", false);
    rulesNote(data.rules_engine);
    updated.textContent = fill(text.updated, { time: clock.format(new Date(data.now)) });
    root.setAttribute("data-updated", String(data.now));
  }

  function rulesNote(status) {
    if (!rules) {
      return;
    }
    var silent = Boolean(status && status.silent);
    rules.hidden = !silent;
    if (silent) {
      rules.textContent = status.reported_at
        ? fill(text.rulesSilent, { time: clock.format(new Date(status.reported_at)) })
        : text.rulesNever;
    }
  }

  function showNote(message, offline) {
    note.textContent = message;
    note.hidden = !message;
    note.classList.toggle("offline", Boolean(offline));
  }

  function tick() {
    root.querySelectorAll(".mon-sensor").forEach(tickSensor);
  }

  // --- polling ---------------------------------------------------------------------------------

  function params() {
    var search = new URLSearchParams();
    Object.keys(query).forEach(function (key) {
      if (query[key]) {
        search.set(key, query[key]);
      }
    });
    if (page > 1) {
      search.set("page", String(page));
    }
    return search;
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
    var search = params().toString();
    fetch(cfg.url + (search ? "?" + search : ""), {
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
        showNote(error && error.message === "session" ? text.session : text.offline, true);
        schedule(Math.min(cfg.pollMs * Math.pow(2, failures), 60000));
      });
  }

  // Filters apply at once, without a reload; the address keeps them for a reload or a link.
  if (form) {
    var apply = function () {
      var data = new FormData(form);
      query = {};
      ["region", "kind"].forEach(function (key) {
        var value = data.get(key);
        if (value) {
          query[key] = String(value);
        }
      });
      if (data.get("abnormal")) {
        query.abnormal = "true";
      }
      page = 1;
      var search = params().toString();
      window.history.replaceState(null, "", form.getAttribute("action") + (search ? "?" + search : ""));
      poll();
    };
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      apply();
    });
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      poll();
    }
  });

  render(JSON.parse(dataNode.textContent));
  window.setInterval(tick, 1000);
  schedule(cfg.pollMs);
})();
