// A sensor's history chart: per-minute mean line, minimum-to-maximum envelope and the rule's
// threshold lines, drawn as SVG from /api/monitoring/sensors/{id}/history. Times and numbers
// are written in the page's language and the deployment's time zone; it redraws to fit the
// width (down to phones) and reloads every minute while the page is visible.
(function () {
  "use strict";
  var node = document.getElementById("chart-config");
  var box = document.getElementById("chart");
  if (!node || !box) {
    return;
  }
  var cfg = JSON.parse(node.textContent);
  var text = cfg.strings;
  var statusBox = document.getElementById("chart-status");
  var NS = "http://www.w3.org/2000/svg";
  var MINUTE = 60000;
  var HOUR = 60 * MINUTE;
  var DAY = 24 * HOUR;
  var TIME_STEPS = [5, 10, 15, 30].map(function (m) { return m * MINUTE; })
    .concat([1, 2, 3, 6, 12].map(function (h) { return h * HOUR; }), [DAY, 2 * DAY]);
  var rangeKey = cfg.range;
  var series = null; // {start, end, points}
  var request = null;
  var hourFormat = new Intl.DateTimeFormat(cfg.locale, {
    hour: "2-digit", minute: "2-digit", hour12: false, timeZone: cfg.timeZone
  });
  var dayFormat = new Intl.DateTimeFormat(cfg.locale, { month: "numeric", day: "numeric", timeZone: cfg.timeZone });
  var partsFormat = new Intl.DateTimeFormat("en-US", {
    year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric",
    second: "numeric", hourCycle: "h23", timeZone: cfg.timeZone
  });

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  function setStatus(message) {
    statusBox.textContent = message || "";
  }

  // Milliseconds the configured time zone is ahead of UTC at a moment.
  function zoneOffset(ms) {
    var parts = {};
    partsFormat.formatToParts(new Date(ms)).forEach(function (p) { parts[p.type] = Number(p.value); });
    var asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second);
    return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / MINUTE) * MINUTE;
  }

  function svg(tag, attrs, parent) {
    var el = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (key) { el.setAttribute(key, String(attrs[key])); });
    if (parent) {
      parent.appendChild(el);
    }
    return el;
  }

  function numberFormat(step) {
    var digits = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
    return new Intl.NumberFormat(cfg.locale, { maximumFractionDigits: digits, useGrouping: false });
  }

  function niceStep(span, count) {
    var rough = span / Math.max(count, 1);
    var magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
    var norm = rough / magnitude;
    return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
  }

  // Merge minute points into at most `count` buckets (weighted mean, overall min and max).
  function buckets(points, start, end, count) {
    var size = Math.max(MINUTE, Math.ceil((end - start) / Math.max(count, 1) / MINUTE) * MINUTE);
    if (size === MINUTE) {
      return { size: size, items: points.map(function (p) {
        return { t: p.minute * MINUTE + MINUTE / 2, mean: p.mean, min: p.min, max: p.max };
      }) };
    }
    var items = [];
    var current = null;
    points.forEach(function (p) {
      var ms = p.minute * MINUTE;
      var index = Math.floor((ms - start) / size);
      if (!current || current.index !== index) {
        current = { index: index, t: start + index * size + size / 2, sum: 0, count: 0, min: p.min, max: p.max };
        items.push(current);
      }
      current.sum += p.mean * p.count;
      current.count += p.count;
      current.min = Math.min(current.min, p.min);
      current.max = Math.max(current.max, p.max);
    });
    items.forEach(function (b) { b.mean = b.sum / b.count; });
    return { size: size, items: items };
  }

  function segments(items, gap) {
    var out = [];
    var run = [];
    items.forEach(function (item, i) {
      if (i > 0 && item.t - items[i - 1].t > gap) {
        out.push(run);
        run = [];
      }
      run.push(item);
    });
    if (run.length) {
      out.push(run);
    }
    return out;
  }

  function timeTicks(start, end, plotWidth) {
    var wanted = Math.max(2, Math.floor(plotWidth / 55));
    var step = TIME_STEPS[TIME_STEPS.length - 1];
    for (var i = 0; i < TIME_STEPS.length; i += 1) {
      if ((end - start) / TIME_STEPS[i] <= wanted) {
        step = TIME_STEPS[i];
        break;
      }
    }
    var offset = zoneOffset(start);
    var ticks = [];
    for (var t = Math.ceil((start + offset) / step) * step - offset; t <= end; t += step) {
      var local = t + zoneOffset(t);
      ticks.push({ t: t, label: local % DAY === 0 ? dayFormat.format(new Date(t)) : hourFormat.format(new Date(t)) });
    }
    return ticks;
  }

  function draw() {
    if (!series) {
      return;
    }
    var width = Math.max(280, Math.round(box.clientWidth || 600));
    var height = width < 500 ? 220 : 280;
    var margin = { left: 52, right: 14, top: 26, bottom: 26 };
    var plotW = width - margin.left - margin.right;
    var plotH = height - margin.top - margin.bottom;
    var start = series.start;
    var end = series.end;
    var grouped = buckets(series.points, start, end, Math.floor(plotW / 2));
    var items = grouped.items;

    var lo = Infinity;
    var hi = -Infinity;
    items.forEach(function (b) {
      lo = Math.min(lo, b.min);
      hi = Math.max(hi, b.max);
    });
    var limits = cfg.thresholds.map(function (t) { return t.value; });
    if (!isFinite(lo) && limits.length) {
      lo = hi = limits[0];
    }
    if (limits.length) {
      // The first threshold shows how far the values are from any band, and the next one
      // beyond them how far from a worse band.
      var above = cfg.direction !== "below";
      var beyond = limits.filter(function (v) { return above ? v > hi : v < lo; });
      [limits[0], beyond.length ? beyond[0] : limits[0]].forEach(function (v) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      });
    }
    if (!isFinite(lo)) {
      lo = 0;
      hi = 1;
    }
    if (hi - lo < 1e-9) {
      var pad = Math.abs(hi) * 0.1 || 1;
      lo -= pad;
      hi += pad;
    }
    var yStep = niceStep(hi - lo, plotH < 180 ? 4 : 5);
    lo = Math.floor(lo / yStep) * yStep;
    hi = Math.ceil(hi / yStep) * yStep;
    var format = numberFormat(yStep);

    function x(t) { return margin.left + ((t - start) / (end - start)) * plotW; }
    function y(v) { return margin.top + (1 - (v - lo) / (hi - lo)) * plotH; }
    function r(n) { return Math.round(n * 10) / 10; }

    var root = svg("svg", {
      viewBox: "0 0 " + width + " " + height, width: width, height: height,
      "aria-hidden": "true", focusable: "false"
    });
    var grid = svg("g", { "class": "grid" }, root);
    var yAxis = svg("g", { "class": "axis y-axis" }, root);
    for (var v = lo; v <= hi + yStep / 2; v += yStep) {
      var py = r(y(v));
      svg("line", { x1: margin.left, x2: width - margin.right, y1: py, y2: py }, grid);
      var label = svg("text", { x: margin.left - 6, y: py + 4, "text-anchor": "end" }, yAxis);
      label.textContent = format.format(Math.abs(v) < yStep / 1e6 ? 0 : v);
    }
    var unit = svg("text", { x: margin.left - 6, y: 10, "text-anchor": "end" }, yAxis);
    unit.textContent = cfg.unit;
    var xAxis = svg("g", { "class": "axis x-axis" }, root);
    svg("line", { x1: margin.left, x2: width - margin.right, y1: margin.top + plotH, y2: margin.top + plotH }, xAxis);
    timeTicks(start, end, plotW).forEach(function (tick) {
      var px = r(x(tick.t));
      svg("line", { x1: px, x2: px, y1: margin.top + plotH, y2: margin.top + plotH + 4 }, xAxis);
      var label = svg("text", { x: px, y: height - 6, "text-anchor": "middle" }, xAxis);
      label.textContent = tick.label;
    });

    var gap = Math.max(3 * grouped.size, 3 * (cfg.interval || 60) * 1000, 3 * MINUTE);
    var runs = segments(items, gap);
    runs.forEach(function (run) {
      if (run.length < 2) {
        return;
      }
      var upper = run.map(function (b) { return r(x(b.t)) + "," + r(y(b.max)); });
      var lower = run.slice().reverse().map(function (b) { return r(x(b.t)) + "," + r(y(b.min)); });
      svg("polygon", { "class": "mon-envelope", points: upper.concat(lower).join(" ") }, root);
    });
    var d = runs.filter(function (run) { return run.length > 1; }).map(function (run) {
      return run.map(function (b, i) { return (i ? "L" : "M") + r(x(b.t)) + " " + r(y(b.mean)); }).join(" ");
    }).join(" ");
    if (d) {
      svg("path", { "class": "mon-mean", d: d }, root);
    }
    runs.forEach(function (run) {
      if (run.length === 1) {
        svg("circle", { "class": "mon-mean", cx: r(x(run[0].t)), cy: r(y(run[0].mean)), r: 2 }, root);
      }
    });
    cfg.thresholds.forEach(function (t) {
      if (t.value < lo || t.value > hi) {
        return;
      }
      var ty = r(y(t.value));
      svg("line", {
        "class": "mon-threshold band-" + t.band, x1: margin.left, x2: width - margin.right, y1: ty, y2: ty
      }, root);
      var label = svg("text", { "class": "mon-threshold-label", x: width - margin.right - 2, y: ty - 3, "text-anchor": "end" }, root);
      label.textContent = t.label + " " + format.format(t.value);
    });
    box.textContent = "";
    box.appendChild(root);
    box.setAttribute("data-points", String(series.points.length));
    box.setAttribute("data-range", rangeKey);
    if (!series.points.length) {
      setStatus(text.empty);
    } else {
      var low = Math.min.apply(null, series.points.map(function (p) { return p.min; }));
      var high = Math.max.apply(null, series.points.map(function (p) { return p.max; }));
      var values = numberFormat(niceStep(Math.max(high - low, 1e-6), 50));
      setStatus(fill(text.summary, {
        count: series.points.length, min: values.format(low), max: values.format(high), unit: cfg.unit
      }));
    }
  }

  function load() {
    if (request) {
      request.abort();
    }
    var controller = new AbortController();
    request = controller;
    var end = Date.now();
    var start = end - cfg.ranges[rangeKey] * MINUTE;
    var params = new URLSearchParams({ start: new Date(start).toISOString(), end: new Date(end).toISOString() });
    if (!series) {
      setStatus(text.loading);
    }
    fetch(cfg.historyUrl + "?" + params.toString(), {
      headers: { Accept: "application/json" }, credentials: "same-origin", signal: controller.signal
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        request = null;
        series = { start: start, end: end, points: data.points || [] };
        draw();
      })
      .catch(function (error) {
        if (error && error.name === "AbortError") {
          return;
        }
        request = null;
        setStatus(text.failed);
      });
  }

  document.querySelectorAll(".mon-ranges a[data-range]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      rangeKey = link.getAttribute("data-range");
      document.querySelectorAll(".mon-ranges a[data-range]").forEach(function (other) {
        if (other === link) {
          other.setAttribute("aria-current", "page");
        } else {
          other.removeAttribute("aria-current");
        }
      });
      window.history.replaceState(null, "", "?range=" + encodeURIComponent(rangeKey));
      series = null;
      load();
    });
  });

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(draw, 150);
  });
  window.setInterval(function () {
    if (!document.hidden) {
      load();
    }
  }, MINUTE);
  load();
})();
