// The one map (一张图): region boundaries of the user's area, and "where am I" on click.
// Everything comes from this server; a tile layer is added only when the deployment sets one.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var container = document.getElementById("map");
  var statusBox = document.getElementById("map-status");
  var text = cfg.strings;

  var map = L.map(container, { zoomControl: true }).setView(cfg.center, cfg.zoom);
  window.yingjiMap = map; // lets the browser tests turn a coordinate into a pixel
  map.attributionControl.setPrefix("Leaflet");
  if (cfg.tileUrl) {
    L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution, maxZoom: 19 }).addTo(map);
  }

  var COLORS = { county: "#1f5fa8", town: "#2e7d32", village: "#6d4c41", grid: "#8e24aa" };
  var WEIGHTS = { county: 2.5, town: 1.5, village: 1, grid: 1 };
  var anyDemo = false;
  var fitted = false;

  function setStatus(message) {
    statusBox.textContent = message || "";
  }

  function styleFor(level) {
    return function (feature) {
      var demo = feature.properties && feature.properties.is_demo;
      return {
        color: demo ? "#c0392b" : COLORS[level] || "#1f5fa8",
        weight: demo ? Math.max(WEIGHTS[level] || 1, 2) : WEIGHTS[level] || 1,
        opacity: 0.9,
        fillColor: COLORS[level] || "#1f5fa8",
        fillOpacity: level === "county" ? 0.06 : 0.03,
        dashArray: demo ? "6 5" : null,
        className: "yj-region yj-level-" + level + (demo ? " yj-demo" : "")
      };
    };
  }

  function label(props) {
    var span = document.createElement("span");
    span.textContent = props.name;
    if (props.is_demo) {
      var tag = document.createElement("span");
      tag.className = "demo-tag";
      tag.textContent = " · " + text.demo;
      span.appendChild(tag);
    }
    return span;
  }

  function makeLayer(level) {
    return L.geoJSON(null, {
      style: styleFor(level),
      onEachFeature: function (feature, layer) {
        if (feature.properties && feature.properties.is_demo) {
          anyDemo = true;
        }
        layer.bindTooltip(label(feature.properties || {}), { sticky: true, className: "region-label" });
      }
    });
  }

  function geojsonUrl(level) {
    var params = new URLSearchParams({ root: cfg.root, levels: level.level });
    if (level.tolerance) {
      params.set("tolerance", String(level.tolerance));
    }
    return cfg.geojsonUrl + "?" + params.toString();
  }

  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var box = L.DomUtil.create("div", "map-legend");
    var rows = [["swatch", text.boundary], ["swatch demo", text.demoLegend]];
    rows.forEach(function (row) {
      var line = L.DomUtil.create("div", "", box);
      L.DomUtil.create("span", row[0], line);
      line.appendChild(document.createTextNode(row[1]));
    });
    return box;
  };

  var loaded = {};
  function load(level, layer) {
    if (loaded[level.level]) {
      return Promise.resolve();
    }
    loaded[level.level] = true;
    setStatus(text.loading);
    return fetch(geojsonUrl(level), { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        layer.addData(data);
        var count = (data.features || []).length;
        container.setAttribute("data-loaded-" + level.level, String(count));
        if (!fitted && count > 0 && layer.getBounds().isValid()) {
          map.fitBounds(layer.getBounds(), { padding: [12, 12], animate: false });
          fitted = true;
        }
        if (anyDemo && !legend._map) {
          legend.addTo(map);
        }
        setStatus(count === 0 && level.visible ? text.noRegions : "");
      })
      .catch(function () {
        loaded[level.level] = false;
        setStatus(text.loadFailed);
      });
  }

  var overlays = {};
  var layers = {};
  cfg.levels.forEach(function (level) {
    var layer = makeLayer(level.level);
    layers[level.level] = { level: level, layer: layer };
    overlays[level.label] = layer;
    if (level.visible) {
      layer.addTo(map);
    }
  });
  L.control.layers(null, overlays, { collapsed: true }).addTo(map);
  map.on("overlayadd", function (event) {
    Object.keys(layers).forEach(function (key) {
      if (layers[key].layer === event.layer) {
        load(layers[key].level, layers[key].layer);
      }
    });
  });

  // Draw the visible levels one after the other, outermost first (it fits the view).
  cfg.levels
    .filter(function (level) { return level.visible; })
    .reduce(function (previous, level) {
      return previous.then(function () { return load(level, layers[level.level].layer); });
    }, Promise.resolve())
    .then(function () { container.setAttribute("data-ready", "true"); });

  map.on("click", function (event) {
    var params = new URLSearchParams({
      lon: event.latlng.lng.toFixed(6),
      lat: event.latlng.lat.toFixed(6)
    });
    fetch(cfg.locateUrl + "?" + params.toString(), { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (regions) {
        var names = (regions || []).map(function (region) { return region.name; });
        var box = document.createElement("div");
        box.className = "locate-popup";
        box.textContent = names.length
          ? text.youAreIn.replace("%(path)s", names.join(" › "))
          : text.nowhere;
        L.popup().setLatLng(event.latlng).setContent(box).openOn(map);
      })
      .catch(function () {
        setStatus(text.loadFailed);
      });
  });
})();
