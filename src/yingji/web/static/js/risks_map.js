// Dual-prevention layers of the one map: four-colour risk points and hazards, each with a
// toggle. The page says which layers the role may read; data comes from this server only.
(function () {
  "use strict";
  var node = document.getElementById("risk-layers-config");
  var map = window.yingjiMap;
  if (!node || !map) {
    return;
  }
  var cfg = JSON.parse(node.textContent);
  var text = cfg.strings;
  var container = document.getElementById("map");
  var statusBox = document.getElementById("map-status");
  var LEVEL_COLOURS = { major: "#d32f2f", considerable: "#f57c00", general: "#fbc02d", low: "#1976d2" };
  var HAZARD_COLOUR = "#6a1b9a";
  // Points sit above the region polygons (overlay pane, z-index 400) whatever loads first.
  map.createPane("yjRiskPane").style.zIndex = "450";
  map.createPane("yjHazardPane").style.zIndex = "460";

  function line(parent, label, value) {
    var row = document.createElement("div");
    var strong = document.createElement("strong");
    strong.textContent = label + "：";
    row.appendChild(strong);
    row.appendChild(document.createTextNode(value));
    parent.appendChild(row);
  }

  function riskPopup(props) {
    var box = document.createElement("div");
    box.className = "risk-popup";
    var title = document.createElement("div");
    title.className = "risk-popup-title";
    title.textContent = props.name || "";
    box.appendChild(title);
    line(box, text.level, text.levels[props.level] || props.level_zh || "");
    line(box, text.enterprise, props.organisation || "");
    return box;
  }

  function hazardPopup(props) {
    var box = document.createElement("div");
    box.className = "hazard-popup";
    var title = document.createElement("div");
    title.className = "risk-popup-title";
    title.textContent = (props.number ? props.number + " " : "") + (props.title || "");
    box.appendChild(title);
    line(box, text.status, (text.statuses && text.statuses[props.status]) || props.status || "");
    if (props.overdue) {
      box.appendChild(document.createTextNode(text.overdue));
    }
    if (props.supervised) {
      box.appendChild(document.createTextNode(" " + text.supervised));
    }
    return box;
  }

  var riskLayer = L.geoJSON(null, {
    pointToLayer: function (feature, latlng) {
      var level = (feature.properties && feature.properties.level) || "low";
      return L.circleMarker(latlng, {
        radius: 7,
        color: "#333333",
        weight: 1,
        fillColor: LEVEL_COLOURS[level] || LEVEL_COLOURS.low,
        fillOpacity: 0.9,
        pane: "yjRiskPane",
        className: "yj-risk yj-risk-" + level
      });
    },
    onEachFeature: function (feature, layer) {
      layer.bindPopup(riskPopup(feature.properties || {}));
    }
  });

  var hazardLayer = L.geoJSON(null, {
    pointToLayer: function (feature, latlng) {
      var props = feature.properties || {};
      return L.circleMarker(latlng, {
        radius: 5,
        color: props.supervised ? "#000000" : HAZARD_COLOUR,
        weight: props.overdue ? 3 : 1,
        fillColor: HAZARD_COLOUR,
        fillOpacity: 0.8,
        pane: "yjHazardPane",
        className: "yj-hazard" + (props.overdue ? " yj-overdue" : "")
      });
    },
    onEachFeature: function (feature, layer) {
      layer.bindPopup(hazardPopup(feature.properties || {}));
    }
  });

  var loaded = {};
  function load(key, url, layer) {
    if (loaded[key]) {
      return;
    }
    loaded[key] = true;
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        layer.addData(data);
        container.setAttribute("data-loaded-" + key, String((data.features || []).length));
        if (data.truncated) {
          statusBox.textContent = text.truncated;
        }
      })
      .catch(function () {
        loaded[key] = false;
      });
  }

  var entries = [];
  if (cfg.risks) {
    entries.push({ key: "risks", label: text.risks, url: cfg.risksUrl, layer: riskLayer, on: true });
  }
  if (cfg.hazards) {
    entries.push({ key: "hazards", label: text.hazards, url: cfg.hazardsUrl, layer: hazardLayer, on: false });
  }
  if (!entries.length) {
    return;
  }

  var control = L.control({ position: "topright" });
  control.onAdd = function () {
    var box = L.DomUtil.create("div", "leaflet-control leaflet-bar yj-prevention-layers");
    L.DomEvent.disableClickPropagation(box);
    entries.forEach(function (entry) {
      var label = L.DomUtil.create("label", "yj-layer-toggle", box);
      var input = L.DomUtil.create("input", "", label);
      input.type = "checkbox";
      input.checked = entry.on;
      input.setAttribute("data-layer", entry.key);
      label.appendChild(document.createTextNode(" " + entry.label));
      input.addEventListener("change", function () {
        if (input.checked) {
          entry.layer.addTo(map);
          load(entry.key, entry.url, entry.layer);
        } else {
          map.removeLayer(entry.layer);
        }
      });
    });
    if (cfg.risks) {
      var legend = L.DomUtil.create("div", "risk-legend", box);
      ["major", "considerable", "general", "low"].forEach(function (level) {
        var row = L.DomUtil.create("div", "", legend);
        var dot = L.DomUtil.create("span", "risk-dot", row);
        dot.classList.add("risk-dot-" + level);
        row.appendChild(document.createTextNode(text.levels[level]));
      });
    }
    if (cfg.hazards) {
      var hazardRow = L.DomUtil.create("div", "risk-legend", box);
      L.DomUtil.create("span", "risk-dot hazard", hazardRow);
      hazardRow.appendChild(document.createTextNode(text.hazards));
    }
    return box;
  };
  control.addTo(map);

  entries.forEach(function (entry) {
    if (entry.on) {
      entry.layer.addTo(map);
      load(entry.key, entry.url, entry.layer);
    }
  });
})();
