// The area of a warning on a map. Editable (the author form): draw polygons (click the corners,
// then finish) and circles (click the centre, set the radius, finish); remove one or clear all.
// The shapes live in the form's hidden field "shapes" as JSON, the way the warnings service
// takes them: {"type": "polygon", "coordinates": [[lon, lat], ...]} (ring closed) or
// {"type": "circle", "center": [lon, lat], "radius_km": r}. Read-only (the warning's page) it
// only draws them. County boundaries of the user's region are drawn for orientation.
(function () {
  "use strict";
  var cfgNode = document.getElementById("area-config");
  var container = document.getElementById("area-map");
  var field = document.getElementById("f-shapes");
  if (!cfgNode || !container || !field || !window.L) {
    return;
  }
  var cfg = JSON.parse(cfgNode.textContent);
  var text = cfg.strings;
  var list = document.getElementById("area-shapes");
  var statusBox = document.getElementById("area-status");
  var tools = document.getElementById("area-tools");
  var radiusInput = document.getElementById("area-radius");
  var STYLE = { color: "#b3261e", weight: 2, fillOpacity: 0.15, className: "wl-shape" };

  var map = L.map(container, { zoomControl: true }).setView(cfg.center, cfg.zoom);
  window.yingjiAreaMap = map; // lets the browser tests turn a coordinate into a pixel
  map.attributionControl.setPrefix("Leaflet");
  if (cfg.tileUrl) {
    L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  var drawn = L.featureGroup().addTo(map);
  var preview = L.layerGroup().addTo(map);
  var shapes = read();
  var mode = null; // "polygon", "circle" or null
  var points = []; // the corners of the polygon being drawn, as [lat, lng]
  var centre = null; // the centre of the circle being drawn

  function read() {
    try {
      var value = JSON.parse(field.value || "[]");
      return Array.isArray(value) ? value : [];
    } catch (err) {
      return [];
    }
  }

  function round(x) {
    return Math.round(x * 1e6) / 1e6;
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) {
      return String(values[key]);
    });
  }

  function setStatus(message) {
    if (statusBox) {
      statusBox.textContent = message || "";
    }
  }

  function corners(shape) {
    var ring = shape.coordinates || [];
    var last = ring[ring.length - 1];
    var closed = ring.length > 1 && last[0] === ring[0][0] && last[1] === ring[0][1];
    return closed ? ring.length - 1 : ring.length;
  }

  function layerOf(shape) {
    if (shape.type === "circle") {
      return L.circle([shape.center[1], shape.center[0]],
        Object.assign({ radius: shape.radius_km * 1000 }, STYLE));
    }
    return L.polygon((shape.coordinates || []).map(function (p) {
      return [p[1], p[0]];
    }), STYLE);
  }

  function radius() {
    var value = radiusInput ? parseFloat(radiusInput.value) : NaN;
    return value > 0 && value <= 500 ? value : null;
  }

  function render() {
    drawn.clearLayers();
    if (list) {
      list.textContent = "";
    }
    shapes.forEach(function (shape, index) {
      try {
        layerOf(shape).addTo(drawn);
      } catch (err) {
        return; // a malformed shape posted back: the server names the field
      }
      if (!list) {
        return;
      }
      var item = document.createElement("li");
      var label = document.createElement("span");
      label.textContent = shape.type === "circle"
        ? format(text.circle, { n: index + 1, km: shape.radius_km })
        : format(text.polygon, { n: index + 1, points: corners(shape) });
      item.appendChild(label);
      if (cfg.editable) {
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "button secondary small";
        remove.setAttribute("data-remove", String(index));
        remove.textContent = text.remove;
        item.appendChild(remove);
      }
      list.appendChild(item);
    });
    if (list && !shapes.length && cfg.editable) {
      var empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = text.noShapes;
      list.appendChild(empty);
    }
    field.value = shapes.length ? JSON.stringify(shapes) : "";
  }

  function drawPreview() {
    preview.clearLayers();
    var style = { color: "#1f5fa8", weight: 2, dashArray: "5 4", fillOpacity: 0.1 };
    if (mode === "polygon" && points.length) {
      points.forEach(function (p) {
        L.circleMarker(p, { radius: 4, color: "#1f5fa8", className: "wl-corner" }).addTo(preview);
      });
      (points.length > 2 ? L.polygon(points, style) : L.polyline(points, style)).addTo(preview);
    } else if (mode === "circle" && centre && radius()) {
      L.circle(centre, Object.assign({ radius: radius() * 1000 }, style)).addTo(preview);
    }
  }

  function refreshButtons() {
    if (!tools) {
      return;
    }
    tools.querySelectorAll("[data-tool]").forEach(function (button) {
      var tool = button.getAttribute("data-tool");
      if (tool === "polygon" || tool === "circle") {
        button.setAttribute("aria-pressed", mode === tool ? "true" : "false");
      } else if (tool === "finish") {
        button.disabled = !((mode === "polygon" && points.length >= 3) ||
          (mode === "circle" && centre && radius()));
      } else if (tool === "undo") {
        button.disabled = !(points.length || centre);
      } else if (tool === "clear") {
        button.disabled = !(shapes.length || points.length || centre);
      }
    });
  }

  function setMode(next) {
    mode = next;
    points = [];
    centre = null;
    container.classList.toggle("wl-drawing", Boolean(mode));
    if (mode) {
      map.doubleClickZoom.disable();
    } else {
      map.doubleClickZoom.enable();
    }
    setStatus(mode === "polygon" ? text.drawPolygon : mode === "circle" ? text.drawCircle : "");
    drawPreview();
    refreshButtons();
  }

  function finish() {
    if (mode === "polygon") {
      if (points.length < 3) {
        setStatus(text.tooFew);
        return false;
      }
      var ring = points.map(function (p) {
        return [round(p[1]), round(p[0])];
      });
      ring.push(ring[0].slice());
      shapes.push({ type: "polygon", coordinates: ring });
    } else if (mode === "circle" && centre && radius()) {
      shapes.push({ type: "circle", center: [round(centre.lng), round(centre.lat)], radius_km: radius() });
    } else {
      return false;
    }
    setMode(null);
    render();
    refreshButtons();
    return true;
  }

  function fit() {
    var bounds = drawn.getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [20, 20], maxZoom: 13 });
      return true;
    }
    return false;
  }

  render();
  var fitted = fit();

  if (cfg.geojsonUrl && cfg.root) {
    var params = new URLSearchParams({ root: cfg.root, levels: "county", tolerance: "0.0005" });
    fetch(cfg.geojsonUrl + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        var outline = L.geoJSON(data, {
          interactive: false,
          style: { color: "#1f5fa8", weight: 1, opacity: 0.7, fillOpacity: 0.03, className: "wl-boundary" }
        }).addTo(map);
        outline.bringToBack();
        var bounds = outline.getBounds();
        if (!fitted && bounds.isValid()) {
          map.fitBounds(bounds, { padding: [10, 10] });
        }
      })
      .catch(function () {
        if (cfg.editable) {
          setStatus(text.loadFailed);
        }
      });
  }

  if (!cfg.editable) {
    return;
  }

  map.on("click", function (event) {
    if (mode === "polygon") {
      points.push([event.latlng.lat, event.latlng.lng]);
    } else if (mode === "circle") {
      centre = event.latlng;
    } else {
      return;
    }
    drawPreview();
    refreshButtons();
  });

  if (tools) {
    tools.hidden = false;
    tools.addEventListener("click", function (event) {
      var button = event.target.closest("[data-tool]");
      if (!button || button.disabled) {
        return;
      }
      var tool = button.getAttribute("data-tool");
      if (tool === "polygon" || tool === "circle") {
        setMode(mode === tool ? null : tool);
      } else if (tool === "finish") {
        finish();
      } else if (tool === "undo") {
        if (mode === "polygon") {
          points.pop();
        } else {
          centre = null;
        }
        drawPreview();
        refreshButtons();
      } else if (tool === "clear") {
        shapes = [];
        setMode(null);
        render();
        refreshButtons();
      }
    });
  }
  if (radiusInput) {
    radiusInput.addEventListener("input", function () {
      drawPreview();
      refreshButtons();
    });
  }
  if (list) {
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove]");
      if (!button) {
        return;
      }
      shapes.splice(parseInt(button.getAttribute("data-remove"), 10), 1);
      render();
      refreshButtons();
    });
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && mode) {
      setMode(null);
    }
  });
  // A shape still being drawn when the form is sent is kept if it is complete.
  if (field.form) {
    field.form.addEventListener("submit", function () {
      if (mode) {
        finish();
      }
    });
  }
  refreshButtons();
})();
