/* geoleak map runtime (MIT, part of geoleak).
 *
 * Builds Leaflet layers from JSON specs that geoleak writes into the page. Every string
 * that ends up as HTML (popups, tooltips, labels) was HTML-escaped by geoleak in Python;
 * this code never builds HTML from data itself, and uses textContent for what it writes.
 */
(function () {
  "use strict";
  var G = (window.geoleak = window.geoleak || {});
  G.pins = {};      // anchor id -> {layer, group}
  G.timed = [];     // layers the time slider filters
  G.map = null;
  G.markerCount = 0;
  G.placeMarkers = [];  // home, base, frequent place and site pins: kept apart on screen
  G.clusterGroups = [];
  G.front = [];     // groups of canvas places, drawn above the evidence points
  G.lazyBuilds = [];  // build() of each hidden layer not yet shown (spec.lazy)
  G.lazyCount = 0;  // features of hidden layers not built yet when the page opened

  function popupOptions() {
    return { maxWidth: 380, minWidth: 220, autoPanPadding: [24, 24] };
  }

  function makeIcon(icon) {
    var size = icon.size || [14, 14];
    return L.divIcon({
      className: icon.cls || "gl-dot",
      html: icon.html || "",
      iconSize: size,
      iconAnchor: icon.anchor || [size[0] / 2, size[1] / 2],
      popupAnchor: [0, -size[1] / 2],
      tooltipAnchor: [0, -size[1] / 2]
    });
  }

  /* The page's one canvas for dense points, places and circles (created when first needed). */
  function canvas() {
    G.dotRenderer = G.dotRenderer || L.canvas({ padding: 0.5, tolerance: 3 });
    return G.dotRenderer;
  }

  function buildFeature(f, icons) {
    var layer;
    if (f.k === "pin") {
      var icon = f.icon ? makeIcon(f.icon) : icons[f.ic];
      layer = L.marker(f.ll, { icon: icon, zIndexOffset: f.z || 0, riseOnHover: true });
      G.markerCount += 1;
      if ((f.z || 0) >= 900) { layer.geoleakRank = f.z; G.placeMarkers.push(layer); }
    } else if (f.k === "dot") {
      // dense evidence or places: a circle on the one shared canvas instead of a DOM marker
      layer = L.circleMarker(f.ll, {
        renderer: canvas(), radius: f.r, color: f.s || "#fff", weight: f.w || (f.s ? 2 : 1.5),
        opacity: 1, fillColor: f.c, fillOpacity: 0.9
      });
      G.markerCount += 1;
    } else if (f.k === "circle") {
      // cv: drawn on the shared canvas, behind its points (see spec.behind)
      layer = L.circle(f.ll, Object.assign({ radius: f.r }, f.style || {}, f.cv ? { renderer: canvas() } : {}));
    } else if (f.k === "line") {
      layer = L.polyline(f.lls, Object.assign({}, f.style || {}, f.cv ? { renderer: canvas() } : {}));
    } else {
      return null;
    }
    if (f.k === "dot") {
      // thousands of canvas dots: popup and tooltip bound when first wanted (G.bound)
      layer.geoleakPopup = f.popup;
      layer.geoleakTip = f.tip;
      return layer;
    }
    if (f.popup) { layer.bindPopup(f.popup, popupOptions()); }
    if (f.tip) { layer.bindTooltip(f.tip, { direction: "top", sticky: f.k !== "pin" }); }
    return layer;
  }

  /* The layer with its popup and tooltip bound (a canvas dot binds them when first asked). */
  G.bound = function (layer) {
    if (layer.geoleakPopup) { layer.bindPopup(layer.geoleakPopup, popupOptions()); layer.geoleakPopup = null; }
    if (layer.geoleakTip) { layer.bindTooltip(layer.geoleakTip, { direction: "top" }); layer.geoleakTip = null; }
    return layer;
  };

  /* Events of a group's dots reach the group first time round: bind, then do what the
   * bound handlers would have done for this event. */
  function bindOnDemand(group) {
    group.on("click", function (e) {
      var layer = e.propagatedFrom || e.layer;
      if (layer && layer.geoleakPopup) { G.bound(layer).openPopup(); }
    });
    group.on("mouseover", function (e) {
      var layer = e.propagatedFrom || e.layer;
      if (layer && layer.geoleakTip) { G.bound(layer).openTooltip(); }
    });
  }

  /* A layer's features: inline, or (lazy layers) in a JSON block read when first built. */
  function featuresOf(spec) {
    if (spec.data) {
      var block = document.getElementById(spec.data);
      spec.features = block ? JSON.parse(block.textContent) : [];
      spec.data = null;
    }
    return spec.features || [];
  }

  /* A layer from a spec: {mode: "group"|"cluster"|"heat", features | points, options}. */
  G.layer = function (spec) {
    if (spec.mode === "levels") { return levelsLayer(spec); }
    if (spec.mode === "heat") {
      var heat = L.heatLayer(spec.points.map(function (p) { return [p[0], p[1], p[2]]; }),
                             spec.options || {});
      G.timed.push({ kind: "heat", layer: heat, points: spec.points });
      return heat;
    }
    var group = spec.mode === "cluster" ? L.markerClusterGroup(spec.options || {}) : L.featureGroup();
    if (spec.mode === "cluster") { G.clusterGroups.push(group); }
    var items = [];
    var built = false;
    function build() {
      if (built) { return; }
      built = true;
      var layers = [];
      var icons = (spec.icons || []).map(makeIcon);  // shared by every pin that names them
      featuresOf(spec).forEach(function (f) {
        var layer = buildFeature(f, icons);
        if (!layer) { return; }
        if (f.id) { G.pins[f.id] = { layer: layer, group: group }; layer.geoleakId = f.id; }
        items.push({ layer: layer, n: f.n || 0 });
        layers.push(layer);
      });
      if (spec.timed && G.postsShown) {
        // built after the time slider moved: show what it shows
        layers = items.filter(function (it) { return it.n <= G.postsShown; }).map(function (it) { return it.layer; });
      }
      if (spec.mode === "cluster") { group.addLayers(layers); } else { layers.forEach(function (l) { group.addLayer(l); }); }
      var dots = layers.some(function (l) { return l instanceof L.CircleMarker; });
      if (dots) { bindOnDemand(group); }
      if (spec.behind) {
        group.eachLayer(function (l) { l.bringToBack(); });
      } else if (!spec.timed && dots) {
        G.front.push(group);  // places on the canvas: kept above evidence the slider re-adds
      }
    }
    if (spec.behind) {
      // circles and lines on the canvas: whenever shown, drawn (and hit-tested) behind its
      // points, so a click on a point inside a circle or on a line still opens the point
      group.on("add", function () { group.eachLayer(function (l) { l.bringToBack(); }); });
    }
    if (spec.timed) { G.timed.push({ kind: "group", layer: group, items: items }); }
    if (spec.lazy) {
      // a layer that is off at first is built when first shown, or when a link asks for
      // one of its pins (G.focus): its features (spec.data, a JSON block) are not even
      // parsed before, so a page with thousands of hidden features opens faster
      G.lazyCount += spec.count || 0;
      G.lazyBuilds.push(build);
      group.on("add", build);
    } else {
      build();
    }
    return group;
  };

  /* One overlay drawn at different detail by zoom: spec.levels = [{minZoom, spec}, ...] in
   * zoom order; the level of the current zoom is on the map, a lazy level is built when
   * first reached (the overview's coarse groups at low zoom, its finer ones closer in). */
  G.levels = [];  // {levels: [{minZoom, layer}], shown: index}
  function levelsLayer(spec) {
    var outer = L.layerGroup();
    var entry = { levels: [], shown: -1 };
    entry.levels = spec.levels.map(function (level) {
      return { minZoom: level.minZoom, layer: G.layer(level.spec) };
    });
    G.levels.push(entry);
    var map = null;
    function pick() {
      var z = map.getZoom();
      var shown = 0;
      entry.levels.forEach(function (level, i) { if (z >= level.minZoom) { shown = i; } });
      entry.levels.forEach(function (level, i) {
        if (i !== shown && outer.hasLayer(level.layer)) { outer.removeLayer(level.layer); }
      });
      if (!outer.hasLayer(entry.levels[shown].layer)) { outer.addLayer(entry.levels[shown].layer); }
      entry.shown = shown;
    }
    outer.on("add", function () { map = outer._map; map.on("zoomend", pick); pick(); });
    outer.on("remove", function () {
      if (map) { map.off("zoomend", pick); }
      entry.shown = -1;
    });
    return outer;
  }

  /* Country shapes drawn under everything: the offline basemap. */
  G.countries = function (map, data) {
    // its own pane between tiles (200) and overlays (400): the heatmap canvas and the
    // vector overlays must never end up under the opaque country fill
    if (!map.getPane("geoleak-basemap")) {
      map.createPane("geoleak-basemap").style.zIndex = 250;
    }
    return L.geoJSON(data, {
      pane: "geoleak-basemap",
      interactive: false,
      style: function () {
        return { color: "#7d7466", weight: 0.8, fillColor: "#f3efe6", fillOpacity: 1, opacity: 0.9 };
      }
    });
  };

  /* Raster tiles inlined from a local MBTiles/PMTiles file:
   * spec = {mime, tiles: {"z/x/y": base64}, minZoom, maxZoom, attribution (escaped)}.
   * A tile missing at a zoom is drawn from its nearest ancestor, enlarged, so zooming past
   * the embedded levels (or panning off the ring around the evidence) never shows holes. */
  G.embeddedTiles = function (spec) {
    var prefix = "data:" + spec.mime + ";base64,";
    var tiles = spec.tiles || {};
    var Layer = L.GridLayer.extend({
      createTile: function (coords, done) {
        var size = this.getTileSize();
        var div = L.DomUtil.create("div", "gl-tile");
        div.style.overflow = "hidden";
        var n = Math.pow(2, coords.z);
        var x = ((coords.x % n) + n) % n;
        for (var d = 0; d <= Math.min(8, coords.z - spec.minZoom); d += 1) {
          var data = tiles[(coords.z - d) + "/" + (x >> d) + "/" + (coords.y >> d)];
          if (data === undefined) { continue; }
          var img = L.DomUtil.create("img", "", div);
          img.alt = "";
          var scale = Math.pow(2, d);
          img.style.width = (size.x * scale) + "px";
          img.style.height = (size.y * scale) + "px";
          img.style.position = "absolute";
          img.style.left = -((x % scale) * size.x) + "px";
          img.style.top = -((coords.y % scale) * size.y) + "px";
          img.style.maxWidth = "none";
          img.onload = function () { done(null, div); };
          img.onerror = function () { done(null, div); };
          img.src = prefix + data;
          return div;
        }
        window.setTimeout(function () { done(null, div); }, 0);
        return div;
      }
    });
    return new Layer({ minZoom: 0, maxZoom: 19, attribution: spec.attribution || "" });
  };

  /* Place labels that appear as one zooms in: labels = [[escaped name, lat, lon, minZoom]]. */
  G.labels = function (map, labels) {
    var layer = L.layerGroup();
    var markers = labels.map(function (l) {
      var m = L.marker([l[1], l[2]], {
        icon: L.divIcon({ className: "gl-label", html: "<span>" + l[0] + "</span>", iconSize: null }),
        interactive: false, keyboard: false
      });
      m.geoleakMinZoom = l[3];
      return m;
    });
    function update() {
      var z = map.getZoom();
      markers.forEach(function (m) {
        var show = z >= m.geoleakMinZoom;
        if (show && !layer.hasLayer(m)) { layer.addLayer(m); }
        else if (!show && layer.hasLayer(m)) { layer.removeLayer(m); }
      });
    }
    map.on("zoomend", update);
    layer.on("add", update);
    return layer;
  };

  /* A fixed box of HTML written by geoleak (legend, title). */
  G.box = function (map, position, html, cls) {
    var Box = L.Control.extend({
      onAdd: function (m) {
        var div = L.DomUtil.create("div", "gl-box " + (cls || ""));
        div.innerHTML = html;
        if (m.getSize().y < 560) {
          // a small map (e.g. embedded in the report): fold legends so the map stays visible
          Array.prototype.forEach.call(div.querySelectorAll("details"), function (d) { d.open = false; });
        }
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      }
    });
    return new Box({ position: position }).addTo(map);
  };

  /* Time slider: show the evidence of the first k posts (n = post rank, 1..total).
   * runs = [[first rank, date label], ...] in rank order: the label of rank k is that of
   * the last run starting at or before k. */
  G.slider = function (map, total, runs) {
    if (!total) { return null; }
    function labelOf(k) {
      var lo = 0, hi = runs.length - 1, found = "";
      while (lo <= hi) {
        var mid = (lo + hi) >> 1;
        if (runs[mid][0] <= k) { found = runs[mid][1]; lo = mid + 1; } else { hi = mid - 1; }
      }
      return found;
    }
    var Slider = L.Control.extend({
      onAdd: function () {
        var div = L.DomUtil.create("div", "gl-box gl-slider");
        var title = L.DomUtil.create("div", "gl-slider-title", div);
        title.textContent = "How the picture builds up, post by post";
        var row = L.DomUtil.create("div", "gl-slider-row", div);
        var play = L.DomUtil.create("button", "gl-play", row);
        play.type = "button";
        play.textContent = "\u25B6";
        play.title = "Play";
        var input = L.DomUtil.create("input", "gl-range", row);
        input.type = "range";
        input.min = "1";
        input.max = String(total);
        input.value = String(total);
        input.setAttribute("aria-label", "number of posts shown");
        var out = L.DomUtil.create("div", "gl-slider-out", div);
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        var pending = false;
        function show(k) {
          G.postsShown = k < total ? k : 0;
          var label = labelOf(k);
          out.textContent = "post " + k + " of " + total + (label ? " \u00b7 " + label : "");
          G.timed.forEach(function (t) {
            if (t.kind === "heat") {
              t.layer.setLatLngs(t.points.filter(function (p) { return p[3] <= k; })
                                 .map(function (p) { return [p[0], p[1], p[2]]; }));
            } else {
              var keep = t.items.filter(function (it) { return it.n <= k; }).map(function (it) { return it.layer; });
              t.layer.clearLayers();
              if (t.layer.addLayers) { t.layer.addLayers(keep); } else { keep.forEach(function (l) { t.layer.addLayer(l); }); }
            }
          });
          G.front.forEach(function (g) {
            if (G.map.hasLayer(g)) { g.eachLayer(function (l) { l.bringToFront(); }); }
          });
          if (G.redeclutter) { G.redeclutter(); }
        }
        input.addEventListener("input", function () {
          if (pending) { return; }
          pending = true;
          window.requestAnimationFrame(function () { pending = false; show(Number(input.value)); });
        });
        var timer = null;
        play.addEventListener("click", function () {
          if (timer) { window.clearInterval(timer); timer = null; play.textContent = "\u25B6"; return; }
          if (Number(input.value) >= total) { input.value = "1"; show(1); }
          play.textContent = "\u275A\u275A";
          var step = Math.max(1, Math.round(total / 60));
          timer = window.setInterval(function () {
            var k = Math.min(total, Number(input.value) + step);
            input.value = String(k);
            show(k);
            if (k >= total) { window.clearInterval(timer); timer = null; play.textContent = "\u25B6"; }
          }, 120);
        });
        G.showPosts = function (k) { input.value = String(k); show(k); };
        out.textContent = "post " + total + " of " + total + (labelOf(total) ? " \u00b7 " + labelOf(total) : "");
        return div;
      }
    });
    return new Slider({ position: "bottomleft" }).addTo(map);
  };

  /* Open the pin named by an anchor (#pin-...), zooming into its cluster if needed. */
  G.focus = function (id) {
    if (!G.pins[id]) {  // maybe in a hidden layer not built yet: build them
      G.lazyBuilds.forEach(function (build) { build(); });
      G.lazyBuilds = [];
    }
    var pin = G.pins[id];
    if (!pin || !G.map) { return false; }
    if (G.showPosts && !pin.group.hasLayer(pin.layer)) {
      var slider = document.querySelector(".gl-range");
      if (slider) { G.showPosts(Number(slider.max)); }
    }
    if (!G.map.hasLayer(pin.group)) { G.map.addLayer(pin.group); }
    var open = function () { G.bound(pin.layer).openPopup(); };
    if (pin.group.zoomToShowLayer) {
      pin.group.zoomToShowLayer(pin.layer, open);
    } else {
      G.map.setView(pin.layer.getLatLng(), Math.max(G.map.getZoom(), 15));
      open();
    }
    var mapDiv = G.map.getContainer();
    if (mapDiv.scrollIntoView) { mapDiv.scrollIntoView({ block: "nearest" }); }
    return true;
  };

  function onHash() {
    var id = decodeURIComponent((window.location.hash || "").replace(/^#/, ""));
    if (id.indexOf("pin-") === 0) { G.focus(id); }
    if (id.indexOf("row-") === 0 && !document.getElementById(id)) {
      // a row of a table not shown yet: show the rows up to it, then go there again
      G.tables.forEach(function (t) { t.showTo(id.slice(4)); });
      var row = document.getElementById(id);
      if (row) { window.location.replace("#" + encodeURIComponent(id)); row.scrollIntoView({ block: "center" }); }
    }
  }

  /* A table's row from its JSON cells (see maps._evidence_cells), written as text. */
  function tableRow(r) {
    var tr = document.createElement("tr");
    function cell(text) {
      var td = tr.appendChild(document.createElement("td"));
      if (text !== undefined) { td.textContent = text; }
      return td;
    }
    tr.id = "row-" + r[0];
    var link = cell().appendChild(document.createElement("a"));
    link.href = "#pin-" + r[0];
    link.setAttribute("data-pin", "pin-" + r[0]);
    link.textContent = "map";
    cell(r[1]);
    cell(r[2]);
    var when = cell();
    var swatch = when.appendChild(document.createElement("span"));
    swatch.className = "gl-swatch";
    swatch.style.background = r[3];
    when.appendChild(document.createTextNode(r[4]));
    cell(r[5]);
    cell(r[6]);
    cell(r[7]).className = "text";
    return tr;
  }

  /* Long tables (a person's evidence): the first rows are in the page, the rest wait as
   * JSON (.gl-more[data-rows]) and are added by "show more" / "show all", or up to a row
   * a link asks for: a page of thousands of rows opens and lays out fast. */
  G.tables = [];
  function setUpTables() {
    Array.prototype.forEach.call(document.querySelectorAll(".gl-more[data-rows]"), function (box) {
      var table = document.getElementById(box.getAttribute("data-table"));
      var block = document.getElementById(box.getAttribute("data-rows"));
      if (!table || !block) { return; }
      var tbody = table.tBodies[0];
      var status = box.querySelector("[role=status]");
      var buttons = box.querySelectorAll("button[data-more]");
      var total = Number(box.getAttribute("data-total"));
      var rows = null;
      var next = 0;
      function data() {
        if (!rows) { rows = JSON.parse(block.textContent); }
        return rows;
      }
      function add(n) {
        var all = data();
        var end = Math.min(all.length, next + n);
        var first = null;
        var added = document.createDocumentFragment();
        for (; next < end; next += 1) {
          var tr = added.appendChild(tableRow(all[next]));
          first = first || tr;
        }
        tbody.appendChild(added);
        status.textContent = (total - all.length + next) + " of " + total + " rows shown.";
        var left = all.length - next;
        if (left === 0) {
          var focused = box.contains(document.activeElement);
          Array.prototype.forEach.call(buttons, function (b) { b.hidden = true; });
          // the button pressed is gone: keep the keyboard where the new rows start
          if (focused && first) { first.querySelector("a").focus(); }
        } else {
          var step = Number(buttons[0].getAttribute("data-more"));
          buttons[0].textContent = "Show " + Math.min(step, left) + " more";
        }
      }
      Array.prototype.forEach.call(buttons, function (b) {
        b.addEventListener("click", function () {
          var more = b.getAttribute("data-more");
          add(more === "all" ? Infinity : Number(more));
        });
      });
      G.tables.push({
        showTo: function (hash) {
          var all = data();
          for (var i = next; i < all.length; i += 1) {
            if (all[i][0] === hash) { add(i + 1 - next); return; }
          }
        }
      });
    });
  }

  function iconBox(marker) {
    var icon = marker.options.icon;
    var o = (icon._iconObj || icon).options;  // a cluster is its own icon; it made _iconObj
    var size = L.point(o.iconSize || [12, 12]);
    return { size: size, anchor: o.iconAnchor ? L.point(o.iconAnchor) : size.divideBy(2) };
  }

  function shift(marker, dx, dy) {
    var box = iconBox(marker);
    marker._icon.style.marginLeft = (dx - box.anchor.x) + "px";
    marker._icon.style.marginTop = (dy - box.anchor.y) + "px";
    marker.geoleakShift = [dx, dy];
  }

  /* Keep markers from hiding each other at the current zoom: place and site pins that
   * coincide or nearly do (a home beside a base, the bases of a unit at one site) are
   * moved apart by fixed pixel offsets on rings around their true point, highest rank
   * (home/base before sites) staying put; then a cluster bubble under a pin is moved off
   * it so its count stays readable. Only the icons move: tooltips, popups, circles and
   * lines keep the true position. Runs again after every zoom. */
  G.declutter = function (map) {
    // what is already drawn, as [x, y, radius] in grid cells of CELL px: a pin is checked
    // against its neighbourhood only, so thousands of pins cost linear, not quadratic, time
    var CELL = 32;
    var grid = {};
    var widest = 0;
    function taken(x, y, r) {
      var key = Math.floor(x / CELL) + "," + Math.floor(y / CELL);
      (grid[key] || (grid[key] = [])).push([x, y, r]);
      widest = Math.max(widest, r);
    }
    function clear(p, r) {
      var reach = Math.ceil((r + widest) / CELL);
      var ci = Math.floor(p.x / CELL), cj = Math.floor(p.y / CELL);
      for (var i = ci - reach; i <= ci + reach; i += 1) {
        for (var j = cj - reach; j <= cj + reach; j += 1) {
          var cell = grid[i + "," + j];
          if (!cell) { continue; }
          for (var k = 0; k < cell.length; k += 1) {
            var t = cell[k];
            if (Math.sqrt((p.x - t[0]) * (p.x - t[0]) + (p.y - t[1]) * (p.y - t[1])) < r + t[2]) { return false; }
          }
        }
      }
      return true;
    }
    function spot(p, r, step) {
      for (var ring = 0; ring <= 6; ring += 1) {
        var n = ring === 0 ? 1 : 6 * ring;
        for (var k = 0; k < n; k += 1) {
          var a = (2 * Math.PI * k) / n - Math.PI / 2;
          var d = L.point(Math.round(Math.cos(a) * ring * step), Math.round(Math.sin(a) * ring * step));
          if (clear(p.add(d), r)) { return d; }
        }
      }
      return L.point(0, 0);
    }
    var pins = G.placeMarkers.filter(function (m) { return m._icon && map.hasLayer(m); });
    pins.sort(function (a, b) { return (b.geoleakRank || 0) - (a.geoleakRank || 0); });
    pins.forEach(function (m) {
      var p = map.latLngToLayerPoint(m.getLatLng());
      var r = Math.max(iconBox(m).size.x, iconBox(m).size.y) / 2 + 1;
      var d = spot(p, r, 2 * r);
      shift(m, d.x, d.y);
      taken(p.x + d.x, p.y + d.y, r);
    });
    G.clusterGroups.forEach(function (group) {
      if (!map.hasLayer(group) || !group._featureGroup) { return; }
      group._featureGroup.eachLayer(function (c) {
        if (!c._icon || !(c instanceof L.MarkerCluster)) { return; }
        var p = map.latLngToLayerPoint(c.getLatLng());
        var r = 15;  // the count's bubble; its halo may stay under a pin
        var d = clear(p, r) ? L.point(0, 0) : spot(p, r, 16);
        shift(c, d.x, d.y);
        taken(p.x + d.x, p.y + d.y, r);
      });
    });
  };

  /* Fit the map to the page's bounds before its layers are added (see maps.ViewScript):
   * each layer is then drawn once, at the zoom the page opens on. */
  G.view = function (map, bounds) {
    if (!bounds) { return; }
    // keep the fitted data clear of the title box (top left) and the legend (right)
    var wide = map.getSize().x > 900;
    map.fitBounds(bounds, {
      paddingTopLeft: wide ? [380, 40] : [30, 30],
      paddingBottomRight: wide ? [290, 40] : [30, 30],
      maxZoom: 16,
      animate: false
    });
    G.viewed = true;
  };

  G.init = function (map, bounds) {
    G.map = map;
    var pending = null;
    var again = function () {
      if (pending) { window.clearTimeout(pending); }
      pending = window.setTimeout(function () { pending = null; G.declutter(map); }, 0);
    };
    map.on("zoomend overlayadd overlayremove", again);
    G.clusterGroups.forEach(function (group) { group.on("animationend", again); });
    G.redeclutter = again;
    if (!G.viewed) { G.view(map, bounds); }  // a page written without a ViewScript
    again();
    setUpTables();
    window.addEventListener("hashchange", onHash);
    document.addEventListener("click", function (event) {
      var target = event.target && event.target.closest ? event.target.closest("a[data-pin]") : null;
      if (target) {
        event.preventDefault();
        G.focus(target.getAttribute("data-pin"));
      }
    });
    window.setTimeout(onHash, 0);
  };
})();
