// The monitoring layer of the one map: every located sensor the role may read, coloured by the
// band of its current value (grey when stale or without data), refreshed every few seconds
// while shown. The popup links to the sensor's page. Data comes from this server only.
(function () {
  "use strict";
  var node = document.getElementById("monitoring-layer-config");
  var map = window.yingjiMap;
  if (!node || !map) {
    return;
  }
  var cfg = JSON.parse(node.textContent);
  var text = cfg.strings;
  var container = document.getElementById("map");
  var statusBox = document.getElementById("map-status");
  var offset = 0;
  var markers = {};
  var timer = null;
  var formats = {};
  map.createPane("yjMonitoringPane").style.zIndex = "470";
  var layer = L.layerGroup();

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
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
    return hours < 48 ? fill(cfg.ages.h, { n: hours }) : fill(cfg.ages.d, { n: Math.floor(hours / 24) });
  }

  function shownBand(props) {
    if (props.value === null || props.ts === null) {
      return "stale";
    }
    return props.fresh ? props.band : "stale";
  }

  // A diamond, so that sensors never read as the round four-colour risk points.
  function icon(props) {
    var band = shownBand(props);
    var size = band === "normal" || band === "stale" ? 12 : 16;
    return L.divIcon({
      className: "yj-sensor yj-band-" + band + (props.abnormal ? " yj-abnormal" : ""),
      html: "<span></span>",
      iconSize: [size, size]
    });
  }

  function line(parent, label, value) {
    var row = document.createElement("div");
    var strong = document.createElement("strong");
    strong.textContent = label + "：";
    row.appendChild(strong);
    row.appendChild(document.createTextNode(value));
    parent.appendChild(row);
  }

  function popup(props) {
    var box = document.createElement("div");
    box.className = "mon-popup";
    var title = document.createElement("div");
    title.className = "mon-popup-title";
    title.textContent = props.name;
    box.appendChild(title);
    line(box, text.object, props.object || "");
    var band = shownBand(props);
    var value = document.createElement("p");
    value.className = "mon-value band-" + (props.value === null ? "none" : band);
    var number = document.createElement("span");
    number.className = "mon-number";
    number.textContent = props.value === null ? "—" : formatNumber(props.value);
    value.appendChild(number);
    var unit = document.createElement("span");
    unit.className = "mon-unit";
    unit.textContent = props.value === null ? text.noData
      : props.unit + (band === "stale" ? " · " + text.stale : props.level > 0 ? " · " + cfg.bands[props.band] : "");
    value.appendChild(unit);
    box.appendChild(value);
    line(box, text.kind, cfg.sensorKinds[props.kind] || props.kind);
    line(box, text.time, props.ts === null ? "—" : ago(Date.now() + offset - props.ts));
    line(box, text.status, cfg.statuses[props.status] || props.status);
    var link = document.createElement("a");
    link.href = cfg.sensorUrl + props.id;
    link.textContent = text.open;
    box.appendChild(link);
    return box;
  }

  function apply(data) {
    offset = (data.now || Date.now()) - Date.now();
    var seen = {};
    (data.features || []).forEach(function (feature) {
      var props = feature.properties;
      var coords = feature.geometry.coordinates;
      seen[props.id] = true;
      var marker = markers[props.id];
      var key = shownBand(props) + (props.abnormal ? "!" : "");
      if (!marker) {
        marker = L.marker([coords[1], coords[0]], {
          icon: icon(props), pane: "yjMonitoringPane", title: props.name, alt: props.name
        });
        marker.bindPopup(function (target) { return popup(target.feature.properties); });
        markers[props.id] = marker;
        layer.addLayer(marker);
      } else {
        marker.setLatLng([coords[1], coords[0]]);
        if (marker._bandKey !== key) {
          marker.setIcon(icon(props));
        }
      }
      marker._bandKey = key;
      marker.feature = feature;
      if (marker.isPopupOpen()) {
        marker.setPopupContent(popup(props));
      }
    });
    Object.keys(markers).forEach(function (id) {
      if (!seen[id]) {
        layer.removeLayer(markers[id]);
        delete markers[id];
      }
    });
    container.setAttribute("data-loaded-sensors", String((data.features || []).length));
    if (data.truncated) {
      statusBox.textContent = text.truncated;
    }
  }

  function load() {
    window.clearTimeout(timer);
    if (!map.hasLayer(layer)) {
      return;
    }
    if (document.hidden) {
      timer = window.setTimeout(load, cfg.pollMs);
      return;
    }
    fetch(cfg.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(apply)
      .catch(function () { /* keep the last markers; the next round tries again */ })
      .then(function () {
        timer = window.setTimeout(load, cfg.pollMs);
      });
  }

  var control = L.control({ position: "topright" });
  control.onAdd = function () {
    var box = L.DomUtil.create("div", "leaflet-control leaflet-bar yj-monitoring-layer");
    L.DomEvent.disableClickPropagation(box);
    var label = L.DomUtil.create("label", "yj-layer-toggle", box);
    var input = L.DomUtil.create("input", "", label);
    input.type = "checkbox";
    input.checked = true;
    input.setAttribute("data-layer", "sensors");
    label.appendChild(document.createTextNode(" " + text.layer));
    input.addEventListener("change", function () {
      if (input.checked) {
        layer.addTo(map);
        load();
      } else {
        map.removeLayer(layer);
        window.clearTimeout(timer);
      }
    });
    var legend = L.DomUtil.create("ul", "mon-legend-chips", box);
    ["red", "orange", "yellow", "blue", "normal"].forEach(function (band) {
      var item = L.DomUtil.create("li", "", legend);
      L.DomUtil.create("span", "mon-chip band-" + band, item).textContent = cfg.bands[band];
    });
    var stale = L.DomUtil.create("li", "", legend);
    L.DomUtil.create("span", "mon-chip band-stale", stale).textContent = text.stale;
    return box;
  };
  control.addTo(map);
  layer.addTo(map);
  load();
})();
