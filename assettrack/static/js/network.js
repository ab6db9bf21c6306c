/*
 * assettrack — the network page: an interactive entity graph (Cytoscape.js, vendored).
 *
 * Vanilla ES2020 under `script-src 'self'; style-src 'self'`: no eval, no inline handlers, no
 * injected <style>; element styles only through the CSSOM. Everything the page knows comes from
 * the data- attributes of [data-network] (API addresses with an "{id}" slot, translated words in
 * [data-strings]); the graph, owners and paths come from the JSON API with the session cookie.
 *
 * Shapes and line styles differ by FtM schema and relation kind, so the picture reads in black
 * and white; colour only adds to them. The list of entities beside the canvas is a real <ul> of
 * buttons: focusing or activating one selects the entity, shows its details and its actions
 * (expand, owners, path start/end), so the canvas is never needed.
 */
(function () {
  "use strict";

  const root = document.querySelector("[data-network]");
  if (!root || typeof window.cytoscape !== "function") {
    return;
  }
  // app.js marks the document as scripted too, but it runs after this file (both deferred):
  // mark it now, so the .js-only canvas is laid out before Cytoscape measures it.
  document.documentElement.classList.add("js");

  // ------------------------------------------------------------------ words and numbers

  const lang = document.documentElement.lang || undefined;
  const WORDS = Object.assign({}, (root.querySelector("[data-strings]") || {}).dataset);

  /** The translated word ``key`` with its {placeholders} filled. */
  function t(key, params) {
    const text = WORDS[key] || key;
    if (!params) {
      return text;
    }
    return text.replace(/\{(\w+)\}/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : match;
    });
  }

  const numberFormat = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
  const collator = new Intl.Collator(lang, { numeric: true, sensitivity: "base" });
  const dateFormat = new Intl.DateTimeFormat(lang, { dateStyle: "medium" });

  /** A number from the API: JSON numbers, or decimals sent as strings ("25.00"). */
  function num(value) {
    if (value === null || value === undefined || value === "") {
      return null;
    }
    const n = typeof value === "number" ? value : Number(String(value).replace(",", "."));
    return Number.isFinite(n) ? n : null;
  }

  /** "60 %", "25–50 %", or null when nothing is known. */
  function share(exact, low, high) {
    const x = num(exact);
    if (x !== null) {
      return numberFormat.format(x) + "\u202f%";
    }
    const a = num(low);
    const b = num(high);
    if (a !== null && b !== null) {
      return a === b ? numberFormat.format(a) + "\u202f%"
        : numberFormat.format(a) + "–" + numberFormat.format(b) + "\u202f%";
    }
    if (a !== null) {
      return "≥\u202f" + numberFormat.format(a) + "\u202f%";
    }
    if (b !== null) {
      return "≤\u202f" + numberFormat.format(b) + "\u202f%";
    }
    return null;
  }

  function formatDate(iso) {
    if (!iso) {
      return "";
    }
    const d = new Date(String(iso).slice(0, 10) + "T00:00:00Z");
    return Number.isNaN(d.getTime()) ? String(iso) : dateFormat.format(d);
  }

  function money(amount, currency) {
    const n = num(amount);
    if (n === null) {
      return "";
    }
    try {
      return new Intl.NumberFormat(lang, { style: "currency", currency: currency || "EUR" }).format(n);
    } catch (e) {
      return numberFormat.format(n) + (currency ? " " + currency : "");
    }
  }

  /** Lower-case without accents, for the list filter. */
  function fold(text) {
    return String(text || "").toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "").trim();
  }

  function shorten(text, max) {
    const s = String(text || "");
    return s.length > max ? s.slice(0, max - 1).trimEnd() + "…" : s;
  }

  // ------------------------------------------------------------------ how things look

  // Shapes: Cytoscape polygons in a [-1, 1] box, so the SVG export draws exactly the same.
  function star(points, inner) {
    const out = [];
    for (let i = 0; i < points * 2; i += 1) {
      const r = i % 2 === 0 ? 1 : inner;
      const a = -Math.PI / 2 + (i * Math.PI) / points;
      out.push(+(r * Math.cos(a)).toFixed(3), +(r * Math.sin(a)).toFixed(3));
    }
    return out;
  }
  const POLY = {
    hexagon: [-1, 0, -0.5, -0.87, 0.5, -0.87, 1, 0, 0.5, 0.87, -0.5, 0.87],
    octagon: [-0.41, -1, 0.41, -1, 1, -0.41, 1, 0.41, 0.41, 1, -0.41, 1, -1, 0.41, -1, -0.41],
    pin: [0, 1, -0.8, -0.1, -0.95, -0.55, -0.55, -0.95, 0, -1, 0.55, -0.95, 0.95, -0.55, 0.8, -0.1],
    hull: [-1, -0.6, 1, -0.6, 0.62, 0.85, -0.62, 0.85],
    house: [0, -1, 1, -0.2, 1, 1, -1, 1, -1, -0.2],
    diamond: [0, -1, 1, 0, 0, 1, -1, 0],
    rhomboid: [-0.55, -0.8, 1, -0.8, 0.55, 0.8, -1, 0.8],
    arrow: [-1, -0.75, 0.35, -0.75, 1, 0, 0.35, 0.75, -1, 0.75],
    triangle: [0, -1, 1, 0.9, -1, 0.9],
    star: star(5, 0.5),
    square: [-1, -1, 1, -1, 1, 1, -1, 1],
  };

  // 24×24 pictograms drawn for assettrack (no icon font, no licence to carry).
  const ICONS = {
    person: ["nonzero", "M12 3.5a4 4 0 1 1 0 8 4 4 0 0 1 0-8zM4 20.5c0-4.1 3.6-7 8-7s8 2.9 8 7z"],
    company: ["evenodd", "M4 21V3h11v6h5v12zM7 6h2.5v2.5H7zm4 0h2.5v2.5H11zm-4 4h2.5v2.5H7zm4 0h2.5v2.5H11zm-4 4h2.5v2.5H7zm4 0h2.5v2.5H11zm5.5-2h2v2h-2zm0 4h2v2h-2z"],
    group: ["nonzero", "M12 4a3 3 0 1 1 0 6 3 3 0 0 1 0-6zM5 6.5a2.5 2.5 0 1 1 0 5 2.5 2.5 0 0 1 0-5zM19 6.5a2.5 2.5 0 1 1 0 5 2.5 2.5 0 0 1 0-5zM6 20c0-3.6 2.7-6.5 6-6.5s6 2.9 6 6.5zM.5 18.5c0-2.6 2-4.5 4.5-4.5.9 0 1.7.2 2.3.6-1.2 1-2 2.4-2.2 3.9zM23.5 18.5c0-2.6-2-4.5-4.5-4.5-.9 0-1.7.2-2.3.6 1.2 1 2 2.4 2.2 3.9z"],
    document: ["evenodd", "M5 2h9.5L19 6.5V22H5zM8 11h8v1.6H8zm0 3.2h8v1.6H8zm0 3.2h5.5V19H8zM13.5 3v4.5H18z"],
    pin: ["evenodd", "M12 2a7 7 0 0 1 7 7c0 5-7 13-7 13S5 14 5 9a7 7 0 0 1 7-7zm0 4a3 3 0 1 0 0 6 3 3 0 0 0 0-6z"],
    ship: ["nonzero", "M1.5 13.5h21l-3.6 6.5H5.1zM6 12.5V8.5h12v4zM9.5 7.5v-4h3v4z"],
    house: ["nonzero", "M12 2.5l9.5 8.5H19v10h-5v-6.5h-4V21H5V11H2.5z"],
    bank: ["nonzero", "M12 2l10 5v2.5H2V7zM4 10.5h3v7H4zm6.5 0h3v7h-3zm6.5 0h3v7h-3zM2 18.5h20V21H2z"],
    car: ["evenodd", "M3.5 11.5l2.1-5a2 2 0 0 1 1.8-1.2h9.2a2 2 0 0 1 1.8 1.2l2.1 5c1 .2 1.5.9 1.5 1.8V18h-2v1.5a1.5 1.5 0 0 1-3 0V18H7v1.5a1.5 1.5 0 0 1-3 0V18H2v-4.7c0-.9.5-1.6 1.5-1.8zM6 11.5h12l-1.5-3.9h-9zM5.5 13.5a1.3 1.3 0 1 0 0 2.6 1.3 1.3 0 0 0 0-2.6zm13 0a1.3 1.3 0 1 0 0 2.6 1.3 1.3 0 0 0 0-2.6z"],
    plane: ["nonzero", "M10.8 2.5c0-.7.5-1.2 1.2-1.2s1.2.5 1.2 1.2v6.3l8.3 4.9v2.1l-8.3-2.6v5l2.3 1.7v1.6L12 20.6l-3.5.9v-1.6l2.3-1.7v-5l-8.3 2.6v-2.1l8.3-4.9z"],
    chart: ["nonzero", "M3 19.5h18V22H3zM4.5 12h3.5v6.5H4.5zm5.75-6h3.5v12.5h-3.5zM16 9h3.5v9.5H16z"],
    wallet: ["evenodd", "M3 6.5A2.5 2.5 0 0 1 5.5 4H17v3h2.5A1.5 1.5 0 0 1 21 8.5v10a1.5 1.5 0 0 1-1.5 1.5h-14A2.5 2.5 0 0 1 3 17.5zM14.5 11.5h5v4h-5z"],
    box: ["evenodd", "M12 2l9 4.5v11L12 22l-9-4.5v-11zM12 4.4L6.3 7.2 12 10l5.7-2.8zM4.8 8.7v7.7l6.3 3.1v-7.7zm14.4 0l-6.3 3.1v7.7l6.3-3.1z"],
    unknown: ["evenodd", "M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zM10.8 16.2v2.3h2.4v-2.3zM12 5.5c-2 0-3.6 1.4-3.6 3.5h2.3c0-.9.5-1.4 1.3-1.4s1.3.5 1.3 1.3c0 1.5-2.5 1.7-2.5 4.3v.9h2.4v-.6c0-1.9 2.5-2.1 2.5-4.6 0-2-1.6-3.4-3.7-3.4z"],
  };

  // Okabe–Ito hues where they fit; the ink is the pictogram's colour (>= 4.5:1 on the fill).
  const SCHEMA = {
    Person: { fill: "#0072b2", ink: "#ffffff", shape: "ellipse", w: 46, h: 46, icon: "person" },
    Company: { fill: "#00795a", ink: "#ffffff", shape: "round-rectangle", w: 56, h: 44, icon: "company" },
    Organization: { fill: "#56b4e9", ink: "#0b2540", shape: "hexagon", w: 54, h: 48, icon: "group" },
    LegalEntity: { fill: "#5d6670", ink: "#ffffff", shape: "octagon", w: 48, h: 48, icon: "document" },
    Address: { fill: "#d9c89e", ink: "#3d3200", shape: "pin", w: 40, h: 48, icon: "pin", scale: 0.5 },
    Vessel: { fill: "#d55e00", ink: "#ffffff", shape: "hull", w: 62, h: 44, icon: "ship", scale: 0.55 },
    RealEstate: { fill: "#cc79a7", ink: "#2b0f20", shape: "house", w: 52, h: 50, icon: "house", scale: 0.5 },
    BankAccount: { fill: "#e69f00", ink: "#1b1f24", shape: "diamond", w: 58, h: 58, icon: "bank", scale: 0.45 },
    Vehicle: { fill: "#7a5195", ink: "#ffffff", shape: "rhomboid", w: 62, h: 42, icon: "car", scale: 0.55 },
    Airplane: { fill: "#3b4a5a", ink: "#ffffff", shape: "arrow", w: 60, h: 44, icon: "plane", scale: 0.55 },
    Security: { fill: "#332288", ink: "#ffffff", shape: "star", w: 60, h: 58, icon: "chart", scale: 0.4 },
    CryptoWallet: { fill: "#f0e442", ink: "#1b1f24", shape: "arrow", w: 58, h: 42, icon: "wallet", scale: 0.55 },
    Asset: { fill: "#a6761d", ink: "#ffffff", shape: "triangle", w: 56, h: 52, icon: "box", scale: 0.42 },
    Other: { fill: "#e6e9ed", ink: "#1b1f24", shape: "square", w: 42, h: 42, icon: "unknown", dashed: true },
  };
  // CryptoWallet and Airplane share a silhouette; their pictograms and colours tell them apart.
  SCHEMA.CryptoWallet.shape = "arrow";
  SCHEMA.Airplane.shape = "triangle-right";
  POLY["triangle-right"] = [-1, -1, 1, 0, -1, 1];

  function look(schema) {
    return SCHEMA[schema] || SCHEMA.Other;
  }

  // Relation kinds: line style and arrow carry the kind; colour repeats it.
  const KIND = {
    Ownership: { color: "#1b1f24", dash: null, arrow: "triangle", width: 2.5 },
    Directorship: { color: "#1d4f8c", dash: [9, 4], arrow: "vee", width: 2 },
    Representation: { color: "#5b3991", dash: [2, 4], arrow: "circle", width: 2.2 },
    Family: { color: "#8a1c12", dash: [12, 3, 2, 3], arrow: "none", width: 2 },
    Associate: { color: "#6b7480", dash: [5, 5], arrow: "none", width: 2 },
    Employment: { color: "#00513b", dash: [6, 3], arrow: "tee", width: 2 },
    Membership: { color: "#00513b", dash: [2, 3], arrow: "square", width: 2 },
    Payment: { color: "#b35c00", dash: [10, 3, 2, 3, 2, 3], arrow: "triangle", width: 2.2 },
    UnknownLink: { color: "#6b7480", dash: [1, 4], arrow: "none", width: 2 },
  };
  const HIGHLIGHT = "#c4005a";

  function kindOf(schema) {
    return KIND[schema] ? schema : "UnknownLink";
  }

  function iconSvg(name, ink) {
    const icon = ICONS[name] || ICONS.unknown;
    return '<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48" viewBox="0 0 24 24">' +
      '<path fill="' + ink + '" fill-rule="' + icon[0] + '" d="' + icon[1] + '"/></svg>';
  }

  function iconUri(name, ink) {
    return "data:image/svg+xml;charset=utf-8," + encodeURIComponent(iconSvg(name, ink));
  }

  const SVG_NS = "http://www.w3.org/2000/svg";

  /** Points of a polygon of the [-1, 1] box scaled to w × h around (x, y), as an SVG list. */
  function polygonPoints(points, x, y, w, h) {
    const out = [];
    for (let i = 0; i < points.length; i += 2) {
      out.push((x + (points[i] * w) / 2).toFixed(1) + "," + (y + (points[i + 1] * h) / 2).toFixed(1));
    }
    return out.join(" ");
  }

  /** SVG markup of a node's body (shape and pictogram), centred on (x, y). */
  function shapeMarkup(schema, x, y, w, h, extra) {
    const l = look(schema);
    const stroke = ' stroke="#1b1f24" stroke-width="2"' + (l.dashed ? ' stroke-dasharray="4 3"' : "") +
      (extra || "");
    let body;
    if (l.shape === "ellipse") {
      body = '<ellipse cx="' + x + '" cy="' + y + '" rx="' + w / 2 + '" ry="' + h / 2 + '" fill="' + l.fill + '"' + stroke + "/>";
    } else if (l.shape === "round-rectangle") {
      const r = Math.min(w, h) / 4;
      body = '<rect x="' + (x - w / 2) + '" y="' + (y - h / 2) + '" width="' + w + '" height="' + h +
        '" rx="' + r + '" fill="' + l.fill + '"' + stroke + "/>";
    } else {
      body = '<polygon points="' + polygonPoints(POLY[l.shape], x, y, w, h) + '" fill="' + l.fill + '"' + stroke + "/>";
    }
    const size = Math.min(w, h) * (l.scale || 0.6);
    const icon = ICONS[l.icon] || ICONS.unknown;
    const k = size / 24;
    body += '<path transform="translate(' + (x - size / 2).toFixed(1) + " " + (y - size / 2).toFixed(1) +
      ") scale(" + k.toFixed(3) + ')" fill="' + l.ink + '" fill-rule="' + icon[0] + '" d="' + icon[1] + '"/>';
    return body;
  }

  /** Fill the legend's and the list's swatches (small inline SVG drawn through the DOM). */
  function swatch(el, schema) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 32 32");
    svg.setAttribute("width", "22");
    svg.setAttribute("height", "22");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const l = look(schema);
    const ratio = l.w / l.h;
    const w = ratio >= 1 ? 28 : 28 * ratio;
    const h = ratio >= 1 ? 28 / ratio : 28;
    svg.innerHTML = shapeMarkup(schema, 16, 16, w, h);
    el.replaceChildren(svg);
  }

  function kindSwatch(el, kind) {
    const k = KIND[kind];
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 40 14");
    svg.setAttribute("width", "40");
    svg.setAttribute("height", "14");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    if (k) {
      svg.innerHTML = '<line x1="1" y1="7" x2="' + (k.arrow === "none" ? 39 : 30) + '" y2="7" stroke="' + k.color +
        '" stroke-width="' + k.width + '"' + (k.dash ? ' stroke-dasharray="' + k.dash.join(" ") + '"' : "") + "/>" +
        arrowMarkup(k.arrow, 38, 7, 0, k.color, 1);
    } else {
      svg.innerHTML = '<line x1="1" y1="7" x2="39" y2="7" stroke="' + HIGHLIGHT + '" stroke-width="5"/>';
    }
    el.replaceChildren(svg);
  }

  /** An arrowhead whose tip is at (x, y), pointing along angle (radians). */
  function arrowMarkup(shape, x, y, angle, color, scale) {
    const s = 9 * (scale || 1);
    let d;
    switch (shape) {
      case "triangle":
        d = '<polygon points="0,0 ' + -s + "," + -s / 2 + " " + -s + "," + s / 2 + '" fill="' + color + '"/>';
        break;
      case "vee":
        d = '<polygon points="0,0 ' + -s + "," + -s / 2 + " " + -s * 0.6 + ",0 " + -s + "," + s / 2 + '" fill="' + color + '"/>';
        break;
      case "circle":
        d = '<circle cx="' + -s / 2.5 + '" cy="0" r="' + s / 2.5 + '" fill="' + color + '"/>';
        break;
      case "square":
        d = '<rect x="' + -s * 0.7 + '" y="' + -s * 0.35 + '" width="' + s * 0.7 + '" height="' + s * 0.7 + '" fill="' + color + '"/>';
        break;
      case "tee":
        d = '<rect x="' + -s * 0.3 + '" y="' + -s * 0.6 + '" width="' + s * 0.3 + '" height="' + s * 1.2 + '" fill="' + color + '"/>';
        break;
      default:
        return "";
    }
    return '<g transform="translate(' + x.toFixed(1) + " " + y.toFixed(1) + ") rotate(" +
      ((angle * 180) / Math.PI).toFixed(1) + ')">' + d + "</g>";
  }

  // ------------------------------------------------------------------ the page's parts

  const urls = {
    graph: root.dataset.graphUrl,
    entityNetwork: root.dataset.entityNetworkUrl,
    owners: root.dataset.ownersUrl,
    paths: root.dataset.pathsUrl,
    entityPage: root.dataset.entityPageUrl,
  };
  const canvas = root.querySelector(".network-canvas");
  const list = root.querySelector(".network-nodes");
  const listCount = root.querySelector(".network-list-count");
  const find = root.querySelector("#network-find");
  const statusLine = root.querySelector(".network-status");
  const alertBox = root.querySelector(".network-alert");
  const warningBox = root.querySelector(".network-warning");
  const details = root.querySelector(".network-details-body");
  const ownersCard = root.querySelector(".network-owners");
  const ownersBox = root.querySelector(".network-owners-body");
  const threshold = root.querySelector("#network-threshold");
  const pathsBox = root.querySelector(".network-paths-body");
  const pathStartEl = root.querySelector(".network-path-start");
  const pathEndEl = root.querySelector(".network-path-end");
  const depthSelect = root.querySelector("#network-depth");
  const dateInput = root.querySelector("#network-date");
  const layoutSelect = root.querySelector("#network-layout");
  const expandToggle = root.querySelector("#network-expand-on-click");
  const findPathsButton = root.querySelector('[data-action="find-paths"]');
  const clearButton = root.querySelector('[data-action="clear-highlight"]');
  const schemaLabels = {};
  root.querySelectorAll(".network-legend-nodes li[data-schema]").forEach(function (li) {
    schemaLabels[li.dataset.schema] = li.textContent.trim();
  });
  const kindLabels = {};
  root.querySelectorAll(".network-legend-edges li[data-kind]").forEach(function (li) {
    kindLabels[li.dataset.kind] = li.textContent.trim();
  });
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function schemaLabel(schema) {
    return schemaLabels[schema] || schema || schemaLabels.Other;
  }

  function kindLabel(schema) {
    return kindLabels[schema] || schema || kindLabels.UnknownLink;
  }

  /** An element with attributes and children (strings become text nodes: no HTML parsing). */
  function h(tag, attrs) {
    const el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        const value = attrs[name];
        if (value === null || value === undefined || value === false) {
          return;
        }
        if (name === "className") {
          el.className = value;
        } else if (name === "dataset") {
          Object.assign(el.dataset, value);
        } else {
          el.setAttribute(name, value === true ? "" : String(value));
        }
      });
    }
    const add = function (child) {
      if (child === null || child === undefined || child === false) {
        return;
      }
      if (Array.isArray(child)) {
        child.forEach(add);
      } else {
        el.append(child instanceof Node ? child : String(child));
      }
    };
    for (let i = 2; i < arguments.length; i += 1) {
      add(arguments[i]);
    }
    return el;
  }

  function setStatus(text) {
    statusLine.textContent = text;
  }

  function showError(text) {
    alertBox.textContent = text;
    alertBox.hidden = !text;
  }

  let busy = 0;
  function working(delta) {
    busy = Math.max(0, busy + delta);
    root.setAttribute("aria-busy", busy > 0 ? "true" : "false");
  }

  function urlFor(template, id, params) {
    const url = new URL(template.replace("{id}", encodeURIComponent(id)), window.location.href);
    Object.keys(params || {}).forEach(function (name) {
      const value = params[name];
      if (value !== null && value !== undefined && value !== "") {
        url.searchParams.set(name, value);
      }
    });
    return url.pathname + url.search;
  }

  class RequestFailed extends Error {
    constructor(status, detail) {
      super(detail || "HTTP " + status);
      this.status = status;
      this.detail = detail || "";
    }
  }

  async function getJSON(url) {
    working(1);
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) {
        let detail = "";
        try {
          const problem = await response.json();
          detail = problem.detail || problem.title || "";
        } catch (e) {
          detail = response.statusText;
        }
        throw new RequestFailed(response.status, detail);
      }
      return await response.json();
    } finally {
      working(-1);
    }
  }

  function failed(error) {
    if (error instanceof RequestFailed) {
      showError(t("requestFailed", { status: error.status, detail: error.detail }));
    } else {
      showError(t("requestFailed", { status: "—", detail: error && error.message }));
    }
  }

  // ------------------------------------------------------------------ the graph

  const cy = window.cytoscape({
    container: canvas,
    elements: [],
    boxSelectionEnabled: false,
    selectionType: "single",
    minZoom: 0.15,
    maxZoom: 3,
    style: graphStyle(),
  });

  function graphStyle() {
    const style = [
      {
        selector: "node",
        style: {
          label: "data(label)",
          "font-family": '"Noto Sans", "Segoe UI", Arial, sans-serif',
          "font-size": 12,
          color: "#1b1f24",
          "text-valign": "bottom",
          "text-halign": "center",
          "text-margin-y": 5,
          "text-wrap": "wrap",
          "text-max-width": 170,
          "text-background-color": "#ffffff",
          "text-background-opacity": 0.85,
          "text-background-padding": 2,
          "text-background-shape": "round-rectangle",
          "min-zoomed-font-size": 6,
          "border-width": 2,
          "border-color": "#1b1f24",
          "background-fit": "none",
          "background-clip": "none",
          "background-image-smoothing": "yes",
          "overlay-opacity": 0,
        },
      },
    ];
    Object.keys(SCHEMA).forEach(function (name) {
      const l = SCHEMA[name];
      const s = {
        "background-color": l.fill,
        width: l.w,
        height: l.h,
        "background-image": iconUri(l.icon, l.ink),
        "background-width": Math.round(Math.min(l.w, l.h) * (l.scale || 0.6)) + "px",
        "background-height": Math.round(Math.min(l.w, l.h) * (l.scale || 0.6)) + "px",
      };
      if (POLY[l.shape]) {
        s.shape = "polygon";
        s["shape-polygon-points"] = POLY[l.shape].join(" ");
      } else {
        s.shape = l.shape;
      }
      if (l.dashed) {
        s["border-style"] = "dashed";
      }
      style.push({ selector: 'node[look = "' + name + '"]', style: s });
    });
    style.push(
      {
        selector: "edge",
        style: {
          "curve-style": "bezier",
          "control-point-step-size": 64,
          width: 2,
          label: "data(label)",
          "font-family": '"Noto Sans", "Segoe UI", Arial, sans-serif',
          "font-size": 11,
          color: "#1b1f24",
          "text-background-color": "#ffffff",
          "text-background-opacity": 0.92,
          "text-background-padding": 2,
          "text-background-shape": "round-rectangle",
          "text-border-width": 1,
          "text-border-color": "#d2d7de",
          "text-border-opacity": 1,
          "arrow-scale": 1.1,
          "overlay-opacity": 0,
        },
      }
    );
    Object.keys(KIND).forEach(function (name) {
      const k = KIND[name];
      const s = {
        "line-color": k.color,
        "target-arrow-color": k.color,
        "target-arrow-shape": k.arrow,
        width: k.width,
        "line-style": k.dash ? "dashed" : "solid",
      };
      if (k.dash) {
        s["line-dash-pattern"] = k.dash;
      }
      style.push({ selector: 'edge[kind = "' + name + '"]', style: s });
    });
    style.push(
      { selector: 'node[outside = "yes"]', style: { "border-style": "dashed", "border-width": 3 } },
      // Labels of parallel relations follow their curve, so they do not sit on one another.
      { selector: "edge.is-parallel", style: { "text-rotation": "autorotate" } },
      { selector: "node.is-isolated", style: { opacity: 0.4 } },
      { selector: "edge.is-filtered", style: { display: "none" } },
      { selector: ".is-faded", style: { opacity: 0.18 } },
      {
        selector: "edge.is-hl",
        style: {
          display: "element",
          opacity: 1,
          width: 6,
          "line-color": HIGHLIGHT,
          "target-arrow-color": HIGHLIGHT,
          "z-index": 10,
          "font-weight": "bold",
        },
      },
      {
        selector: "node.is-hl",
        style: { opacity: 1, "border-width": 4, "border-color": HIGHLIGHT, "font-weight": "bold", "z-index": 20 },
      },
      {
        selector: "node.is-hl-end",
        style: { "border-width": 6, "border-style": "double", "border-color": HIGHLIGHT },
      },
      {
        selector: "node:selected",
        style: {
          "border-width": 4,
          "border-color": "#0b0c0c",
          "outline-width": 5,
          "outline-color": "#ffbf47",
          "outline-offset": 1,
          "font-weight": "bold",
          "z-index": 30,
        },
      },
      {
        selector: "edge:selected",
        style: { width: 5, "line-color": "#0b0c0c", "target-arrow-color": "#0b0c0c" },
      }
    );
    return style;
  }

  function nodeId(value) {
    return String(value);
  }

  function edgeKey(e) {
    if (e.id !== undefined && e.id !== null && e.id !== "") {
      return "r" + e.id;
    }
    return "e:" + (e.schema || "") + ":" + e.source + ">" + e.target + ":" +
      (e.role || "") + ":" + (e.start_date || "") + ":" + (e.percentage || e.percentage_min || "");
  }

  function edgeLabel(e) {
    const kind = kindOf(e.schema);
    const role = e.role ? shorten(e.role, 26) : "";
    if (kind === "Ownership") {
      const s = share(e.percentage, e.percentage_min, e.percentage_max) || "?\u202f%";
      return role ? s + " · " + role : s;
    }
    if (kind === "Payment" && num(e.amount) !== null) {
      return money(e.amount, e.currency);
    }
    return role || kindLabel(e.schema);
  }

  function nodeData(n) {
    const name = n.name || n.caption || t("noName");
    return Object.assign({}, n, {
      id: nodeId(n.id),
      apiId: n.id,
      name: name,
      label: shorten(name, 40),
      look: SCHEMA[n.schema] ? n.schema : "Other",
      outside: n.in_case === false ? "yes" : "no",
    });
  }

  /** Add the nodes and edges of an API answer not yet drawn; return what was added. */
  function merge(data, around) {
    const added = { nodes: [], edges: [] };
    const nodes = (data && data.nodes) || [];
    const edges = (data && data.edges) || [];
    cy.batch(function () {
      nodes.forEach(function (n) {
        const id = nodeId(n.id);
        const existing = cy.getElementById(id);
        if (existing.nonempty()) {
          existing.data(nodeData(Object.assign({}, existing.data(), n)));
          return;
        }
        const position = around ? Object.assign({}, around.position()) : { x: 0, y: 0 };
        added.nodes.push(cy.add({ group: "nodes", data: nodeData(n), position: position }));
      });
      edges.forEach(function (e) {
        const id = edgeKey(e);
        const source = nodeId(e.source);
        const target = nodeId(e.target);
        if (cy.getElementById(id).nonempty() || cy.getElementById(source).empty() ||
            cy.getElementById(target).empty()) {
          return;
        }
        added.edges.push(cy.add({
          group: "edges",
          data: Object.assign({}, e, {
            id: id,
            source: source,
            target: target,
            kind: kindOf(e.schema),
            label: edgeLabel(e),
          }),
        }));
      });
    });
    added.edges.forEach(function (edge) {
      const siblings = edge.parallelEdges();
      siblings.toggleClass("is-parallel", siblings.length > 1);
    });
    if (around && added.nodes.length) {
      // Start the newcomers on a ring around the entity they came from.
      const c = around.position();
      const r = 110 + 6 * added.nodes.length;
      added.nodes.forEach(function (node, i) {
        const a = (2 * Math.PI * i) / added.nodes.length;
        node.position({ x: c.x + r * Math.cos(a), y: c.y + r * Math.sin(a) });
      });
    }
    return added;
  }

  let currentLayout = null;

  function layoutOptions(name, incremental) {
    const animate = !reducedMotion && incremental;
    const common = { name: name, fit: !incremental, padding: 40, animate: animate, animationDuration: 400 };
    switch (name) {
      case "breadthfirst": {
        // Owners above what they own: the roots are entities nobody owns here.
        const owned = cy.edges('[kind = "Ownership"]').targets();
        const roots = cy.nodes().difference(owned).filter(function (n) {
          return n.outgoers('edge[kind = "Ownership"]').nonempty();
        });
        return Object.assign(common, {
          directed: true,
          roots: roots.nonempty() ? roots : undefined,
          spacingFactor: 1.1,
          nodeDimensionsIncludeLabels: true,
          avoidOverlap: true,
        });
      }
      case "concentric":
        return Object.assign(common, {
          concentric: function (node) { return node.degree(false); },
          levelWidth: function () { return 2; },
          minNodeSpacing: 30,
          avoidOverlap: true,
        });
      case "circle":
        return Object.assign(common, { avoidOverlap: true, nodeDimensionsIncludeLabels: true });
      default:
        return Object.assign(common, {
          name: "cose",
          randomize: !incremental,
          nodeDimensionsIncludeLabels: true,
          idealEdgeLength: function () { return 75; },
          nodeRepulsion: function () { return 14000; },
          edgeElasticity: function () { return 100; },
          nodeOverlap: 20,
          gravity: 4,
          // Large graphs (the API allows thousands of entities): fewer rounds, no freeze.
          numIter: cy.nodes().length > 400 ? 300 : 1500,
          componentSpacing: 40,
          padding: 30,
        });
    }
  }

  function runLayout(incremental) {
    if (currentLayout) {
      currentLayout.stop();
    }
    const visible = cy.elements().not(".is-filtered");
    currentLayout = visible.layout(layoutOptions(layoutSelect.value, incremental));
    currentLayout.run();
  }

  // ------------------------------------------------------------------ filters

  function checkedKinds() {
    const kinds = new Set();
    root.querySelectorAll('.network-kinds input[name="kind"]').forEach(function (box) {
      if (box.checked) {
        kinds.add(box.value);
      }
    });
    return kinds;
  }

  /** Whether a relation is in force on ``day`` (YYYY-MM-DD; "" means any day). */
  function validOn(edge, day) {
    if (!day) {
      return true;
    }
    // A payment has one day ("date"): shown from that day on.
    const start = edge.data("start_date") || edge.data("date");
    const end = edge.data("end_date");
    return (!start || String(start).slice(0, 10) <= day) && (!end || String(end).slice(0, 10) >= day);
  }

  function applyFilters() {
    const kinds = checkedKinds();
    const day = dateInput.value;
    const counts = {};
    let hidden = 0;
    cy.batch(function () {
      cy.edges().forEach(function (edge) {
        const kind = edge.data("kind");
        counts[kind] = (counts[kind] || 0) + 1;
        const shown = kinds.has(kind) && validOn(edge, day);
        edge.toggleClass("is-filtered", !shown);
        if (!shown) {
          hidden += 1;
        }
      });
      cy.nodes().forEach(function (node) {
        const all = node.connectedEdges();
        const shown = all.not(".is-filtered");
        node.toggleClass("is-isolated", all.nonempty() && shown.empty());
      });
    });
    root.querySelectorAll("[data-count-for]").forEach(function (el) {
      const n = counts[el.dataset.countFor] || 0;
      el.textContent = "(" + n + ")";
      el.closest("li").classList.toggle("is-absent", n === 0);
    });
    root.querySelectorAll(".network-legend-edges li[data-kind]").forEach(function (li) {
      li.hidden = !counts[li.dataset.kind];
    });
    updateSummary(hidden);
    renderList();
    if (selected) {
      renderDetails(selected);
    }
  }

  function updateSummary(hidden) {
    const edges = cy.edges().not(".is-filtered").length;
    let text = t("loaded", { nodes: cy.nodes().length, edges: edges });
    if (hidden) {
      text += " " + t("filtered", { hidden: hidden });
    }
    setStatus(text);
  }

  function updateLegend() {
    const present = new Set(cy.nodes().map(function (n) { return n.data("look"); }));
    root.querySelectorAll(".network-legend-nodes li[data-schema]").forEach(function (li) {
      li.hidden = !present.has(li.dataset.schema);
    });
  }

  // ------------------------------------------------------------------ the list

  let selected = null; // the selected node (a Cytoscape collection of one), or null
  let focusedId = null; // the list item that takes Tab (roving tabindex)

  function renderList() {
    const hadFocus = list.contains(document.activeElement);
    const terms = fold(find.value).split(/\s+/).filter(Boolean);
    const nodes = cy.nodes().sort(function (a, b) {
      return collator.compare(a.data("name"), b.data("name"));
    });
    const items = [];
    let shown = 0;
    nodes.forEach(function (node) {
      const id = node.id();
      const text = fold(node.data("name") + " " + schemaLabel(node.data("schema")));
      if (terms.length && !terms.every(function (term) { return text.includes(term); })) {
        return;
      }
      shown += 1;
      const icon = h("span", { className: "network-node-icon", "aria-hidden": "true" });
      swatch(icon, node.data("look"));
      const classes = ["network-node"];
      if (node.hasClass("is-hl")) {
        classes.push("is-highlighted");
      }
      if (node.hasClass("is-isolated")) {
        classes.push("is-isolated");
      }
      const button = h(
        "button",
        {
          type: "button",
          className: classes.join(" "),
          dataset: { id: id },
          tabindex: "-1",
          "aria-current": selected && selected.id() === id ? "true" : null,
        },
        icon,
        h("span", { className: "network-node-name" }, node.data("name")),
        h("span", { className: "network-node-schema" }, schemaLabel(node.data("schema")))
      );
      items.push(h("li", null, button));
    });
    list.replaceChildren.apply(list, items);
    listCount.textContent = "(" + t("listCount", { shown: shown, total: nodes.length }) + ")";
    const buttons = list.querySelectorAll("button");
    let target = focusedId && list.querySelector('button[data-id="' + CSS.escape(focusedId) + '"]');
    if (!target && selected) {
      target = list.querySelector('button[data-id="' + CSS.escape(selected.id()) + '"]');
    }
    target = target || buttons[0];
    if (target) {
      target.tabIndex = 0;
      if (hadFocus) {
        target.focus({ preventScroll: true });
      }
    }
  }

  function listButtons() {
    return Array.from(list.querySelectorAll("button.network-node"));
  }

  list.addEventListener("keydown", function (event) {
    const buttons = listButtons();
    const index = buttons.indexOf(document.activeElement);
    if (index < 0) {
      return;
    }
    let next = null;
    if (event.key === "ArrowDown") {
      next = buttons[Math.min(buttons.length - 1, index + 1)];
    } else if (event.key === "ArrowUp") {
      next = buttons[Math.max(0, index - 1)];
    } else if (event.key === "Home") {
      next = buttons[0];
    } else if (event.key === "End") {
      next = buttons[buttons.length - 1];
    } else if (event.key === "PageDown") {
      next = buttons[Math.min(buttons.length - 1, index + 10)];
    } else if (event.key === "PageUp") {
      next = buttons[Math.max(0, index - 10)];
    }
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });

  list.addEventListener("focusin", function (event) {
    const button = event.target.closest("button.network-node");
    if (!button) {
      return;
    }
    listButtons().forEach(function (b) { b.tabIndex = b === button ? 0 : -1; });
    focusedId = button.dataset.id;
    if (!selected || selected.id() !== button.dataset.id) {
      select(button.dataset.id, { from: "list" });
    }
  });

  list.addEventListener("click", function (event) {
    const button = event.target.closest("button.network-node");
    if (button) {
      select(button.dataset.id, { from: "list" });
    }
  });

  find.addEventListener("input", renderList);
  find.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && find.value) {
      find.value = "";
      renderList();
    } else if (event.key === "ArrowDown") {
      const first = listButtons()[0];
      if (first) {
        event.preventDefault();
        first.focus();
      }
    }
  });

  // ------------------------------------------------------------------ selection and details

  function nameOf(id) {
    const node = cy.getElementById(nodeId(id));
    return node.nonempty() ? node.data("name") : "#" + id;
  }

  function select(id, options) {
    const node = cy.getElementById(nodeId(id));
    if (node.empty()) {
      return;
    }
    const from = (options && options.from) || "code";
    cy.elements(":selected").unselect();
    node.select();
    selected = node;
    focusedId = node.id();
    list.querySelectorAll("button.network-node").forEach(function (b) {
      if (b.dataset.id === node.id()) {
        b.setAttribute("aria-current", "true");
        b.tabIndex = 0;
        if (from !== "list") {
          b.scrollIntoView({ block: "nearest" });
        }
      } else {
        b.removeAttribute("aria-current");
        b.tabIndex = -1;
      }
    });
    if (from !== "canvas") {
      keepInView(node);
    }
    renderDetails(node);
  }

  function keepInView(node) {
    const box = node.renderedBoundingBox({ includeLabels: false });
    const w = cy.width();
    const hgt = cy.height();
    if (box.x1 < 0 || box.y1 < 0 || box.x2 > w || box.y2 > hgt) {
      if (reducedMotion) {
        cy.center(node);
      } else {
        cy.animate({ center: { eles: node }, duration: 250 });
      }
    }
  }

  function clearSelection() {
    cy.elements(":selected").unselect();
    selected = null;
    list.querySelectorAll('button[aria-current="true"]').forEach(function (b) {
      b.removeAttribute("aria-current");
    });
    renderDetails(null);
  }

  const expanded = new Set();
  const expanding = new Map();

  function actionButton(action, label, id, extra) {
    return h("button", Object.assign({
      type: "button",
      className: "button small",
      dataset: { action: action, id: id },
    }, extra || {}), label);
  }

  function relationLine(edge, node) {
    const out = edge.source().id() === node.id();
    const other = out ? edge.target() : edge.source();
    const kind = edge.data("kind");
    const bits = [];
    const label = edge.data("label");
    if (label && label !== kindLabel(edge.data("schema"))) {
      bits.push(label);
    }
    if (edge.data("start_date")) {
      bits.push(t("since", { date: formatDate(edge.data("start_date")) }));
    }
    if (edge.data("end_date")) {
      bits.push(t("until", { date: formatDate(edge.data("end_date")) }));
    }
    if (edge.hasClass("is-filtered")) {
      bits.push(t("hidden"));
    }
    const sw = h("span", { className: "network-rel-swatch", "aria-hidden": "true" });
    kindSwatch(sw, kind);
    return h(
      "li",
      { className: edge.hasClass("is-filtered") ? "is-filtered" : null },
      sw,
      h("span", { className: "network-rel-kind" }, kindLabel(edge.data("schema"))),
      " ",
      h("span", { "aria-hidden": "true" }, out ? "→ " : "← "),
      h("button", { type: "button", className: "link-button", dataset: { select: other.id() } }, other.data("name")),
      bits.length ? h("span", { className: "muted" }, " · " + bits.join(" · ")) : null
    );
  }

  function renderDetails(node) {
    if (!node || node.removed()) {
      details.replaceChildren(h("p", { className: "muted" }, t("noSelection")));
      return;
    }
    const id = node.id();
    const apiId = node.data("apiId");
    const icon = h("span", { className: "network-details-icon", "aria-hidden": "true" });
    swatch(icon, node.data("look"));
    const facts = h("dl", { className: "details network-facts" });
    function fact(term, value) {
      if (value === null || value === undefined || value === "") {
        return;
      }
      facts.append(h("dt", null, term), h("dd", null, value));
    }
    fact(t("type"), schemaLabel(node.data("schema")));
    if (node.data("role")) {
      fact(t("roleInCase"), WORDS["role" + node.data("role").charAt(0).toUpperCase() + node.data("role").slice(1)] || node.data("role"));
    }
    if (node.data("in_case") === false) {
      fact(t("inCase"), t("no"));
    }
    fact(t("organisation"), node.data("organisation"));
    fact(t("connections"), String(node.connectedEdges().not(".is-filtered").length));
    if (node.data("hub")) {
      fact("⚠", t("hub", { count: node.data("relations_at_least") || "?" }));
    }
    if (num(node.data("degree")) !== null) {
      fact(t("degree"), new Intl.NumberFormat(lang, { maximumFractionDigits: 3 }).format(num(node.data("degree"))));
    }
    if (num(node.data("betweenness")) !== null) {
      fact(t("betweenness"), new Intl.NumberFormat(lang, { maximumFractionDigits: 3 }).format(num(node.data("betweenness"))));
    }
    if (node.data("community") !== null && node.data("community") !== undefined) {
      fact(t("community"), String(node.data("community")));
    }
    const isExpanded = expanded.has(id);
    const actions = h(
      "div",
      { className: "actions network-actions" },
      actionButton("expand", isExpanded ? t("expanded") : t("expand"), id, { disabled: isExpanded || expanding.has(id) }),
      actionButton("owners", t("owners"), id),
      actionButton("path-start", t("pathStart"), id, { "aria-pressed": pathStart === id ? "true" : "false" }),
      actionButton("path-end", t("pathEnd"), id, { "aria-pressed": pathEnd === id ? "true" : "false" }),
      urls.entityPage && String(apiId) !== root.dataset.focus
        ? h("a", { className: "button small", href: urlFor(urls.entityPage, apiId) }, t("openNetwork")) : null
    );
    const edges = node.connectedEdges().sort(function (a, b) {
      return collator.compare(a.data("kind"), b.data("kind"));
    });
    const relations = h("ul", { className: "network-relations" });
    edges.forEach(function (edge) { relations.append(relationLine(edge, node)); });
    details.replaceChildren(
      h("h3", { className: "network-details-name" }, icon, h("span", null, node.data("name"))),
      facts,
      actions,
      h("h4", null, t("relations") + " (" + edges.length + ")"),
      edges.nonempty() ? relations : h("p", { className: "muted" }, t("noRelations"))
    );
  }

  function renderEdgeDetails(edge) {
    const facts = h("dl", { className: "details network-facts" });
    function fact(term, value) {
      if (value) {
        facts.append(h("dt", null, term), h("dd", null, value));
      }
    }
    fact(t("relation"), kindLabel(edge.data("schema")));
    fact(t("from"), edge.source().data("name"));
    fact(t("to"), edge.target().data("name"));
    fact(t("share"), share(edge.data("percentage"), edge.data("percentage_min"), edge.data("percentage_max")));
    fact(t("role"), edge.data("role"));
    fact(t("amount"), money(edge.data("amount"), edge.data("currency")));
    const valid = [];
    if (edge.data("start_date")) {
      valid.push(t("since", { date: formatDate(edge.data("start_date")) }));
    }
    if (edge.data("end_date")) {
      valid.push(t("until", { date: formatDate(edge.data("end_date")) }));
    }
    fact(t("valid"), valid.join(", "));
    const sw = h("span", { className: "network-rel-swatch", "aria-hidden": "true" });
    kindSwatch(sw, edge.data("kind"));
    details.replaceChildren(
      h("h3", { className: "network-details-name" }, sw, h("span", null, kindLabel(edge.data("schema")))),
      facts,
      h(
        "div",
        { className: "actions" },
        h("button", { type: "button", className: "button small", dataset: { select: edge.source().id() } }, edge.source().data("name")),
        h("button", { type: "button", className: "button small", dataset: { select: edge.target().id() } }, edge.target().data("name"))
      )
    );
  }

  // ------------------------------------------------------------------ expand

  async function expand(id) {
    if (expanded.has(id) || expanding.has(id)) {
      return expanding.get(id);
    }
    const node = cy.getElementById(id);
    if (node.empty()) {
      return null;
    }
    const name = node.data("name");
    setStatus(t("expanding", { name: name }));
    const job = (async function () {
      try {
        const data = await getJSON(urlFor(urls.entityNetwork, node.data("apiId")));
        expanded.add(id);
        const added = merge(data, node);
        refreshAfterMerge(data, added.nodes.length > 0);
        setStatus(added.nodes.length
          ? t("expandDone", { count: added.nodes.length, name: name })
          : t("expandNone", { name: name }));
        return added;
      } catch (error) {
        failed(error);
        return null;
      } finally {
        expanding.delete(id);
        if (selected && selected.id() === id) {
          renderDetails(selected);
        }
      }
    })();
    expanding.set(id, job);
    if (selected && selected.id() === id) {
      renderDetails(selected);
    }
    return job;
  }

  function refreshAfterMerge(data, relayout) {
    if (data && data.truncated) {
      warningBox.textContent = t("truncated");
      warningBox.hidden = false;
    }
    updateLegend();
    applyFilters();
    if (relayout) {
      runLayout(true);
    }
  }

  const DEPTH_MAX = 3; // what /entities/<id>/network accepts

  /** Make sure every id is drawn, fetching around ``anchor`` (then around the missing) if not. */
  async function ensureNodes(ids, anchor, depth) {
    const missing = function () {
      return ids.filter(function (id) { return cy.getElementById(nodeId(id)).empty(); });
    };
    if (!missing().length) {
      return;
    }
    let changed = false;
    const anchorNode = cy.getElementById(nodeId(anchor));
    const around = await getJSON(urlFor(urls.entityNetwork, anchor, { depth: Math.min(Math.max(depth, 1), DEPTH_MAX) }));
    changed = merge(around, anchorNode.nonempty() ? anchorNode : null).nodes.length > 0 || changed;
    for (const id of missing().slice(0, 8)) {
      // Still missing: fetch its own neighbourhood so the links to the chain come too.
      const data = await getJSON(urlFor(urls.entityNetwork, id));
      changed = merge(data, anchorNode.nonempty() ? anchorNode : null).nodes.length > 0 || changed;
    }
    if (changed) {
      refreshAfterMerge(null, true);
    }
  }

  // ------------------------------------------------------------------ highlight

  function clearHighlight(quiet) {
    cy.elements().removeClass("is-hl is-hl-end is-faded");
    clearButton.disabled = true;
    list.querySelectorAll(".is-highlighted").forEach(function (b) { b.classList.remove("is-highlighted"); });
    if (!quiet) {
      setStatus(t("cleared"));
    }
  }

  /** Highlight chains ({nodes: ids, relations: ids or null}) and fade the rest. */
  function highlightChains(chains, ends, preferKind) {
    clearHighlight(true);
    let on = cy.collection();
    chains.forEach(function (chain) {
      const ids = chain.nodes;
      for (let i = 0; i < ids.length; i += 1) {
        const a = cy.getElementById(nodeId(ids[i]));
        on = on.union(a);
        if (i + 1 < ids.length) {
          const b = cy.getElementById(nodeId(ids[i + 1]));
          // The relation the API names, else any link between the two (of the preferred kind).
          let links = chain.relations && chain.relations[i] !== undefined
            ? cy.getElementById("r" + chain.relations[i]) : cy.collection();
          if (links.empty()) {
            links = a.edgesWith(b);
            const preferred = preferKind ? links.filter('[kind = "' + preferKind + '"]') : links;
            links = preferred.nonempty() ? preferred : links;
          }
          on = on.union(links);
        }
      }
    });
    if (on.empty()) {
      return;
    }
    cy.batch(function () {
      cy.elements().not(on).addClass("is-faded");
      on.addClass("is-hl");
      ends.forEach(function (id) { cy.getElementById(nodeId(id)).addClass("is-hl-end"); });
    });
    clearButton.disabled = false;
    renderList();
    if (!reducedMotion) {
      cy.animate({ fit: { eles: on.nodes(), padding: 60 }, duration: 350 });
    } else {
      cy.fit(on.nodes(), 60);
    }
  }

  /** A path from the API as {nodes, relations}: from [1, 2, 3] or {"nodes": [...], "relations": [...]}. */
  function chainOf(path) {
    const relations = path && !Array.isArray(path) && Array.isArray(path.relations) ? path.relations : null;
    return { nodes: pathIds(path), relations: relations };
  }

  /** A path from the API as a list of ids: [1, 2, 3] or {"nodes": [1, 2, 3], ...}. */
  function pathIds(path) {
    if (Array.isArray(path)) {
      return path.map(function (step) {
        return step !== null && typeof step === "object" ? step.id : step;
      });
    }
    if (path && Array.isArray(path.nodes)) {
      return pathIds(path.nodes);
    }
    return [];
  }

  // ------------------------------------------------------------------ owners

  let ownersOf = null;

  async function showOwners(id) {
    const node = cy.getElementById(id);
    if (node.empty()) {
      return;
    }
    ownersOf = id;
    const name = node.data("name");
    ownersCard.hidden = false;
    ownersBox.replaceChildren(h("p", { className: "muted" }, t("ownersLoading", { name: name })));
    setStatus(t("ownersLoading", { name: name }));
    try {
      const data = await getJSON(urlFor(urls.owners, node.data("apiId"), {
        as_of: dateInput.value,
        threshold: threshold.value.trim(),
      }));
      const owners = data.owners || [];
      const chains = [];
      owners.forEach(function (owner) {
        (owner.paths || []).forEach(function (p) {
          const chain = chainOf(p);
          if (chain.nodes.length) {
            chains.push(chain);
          }
        });
      });
      const longest = chains.reduce(function (m, c) { return Math.max(m, c.nodes.length - 1); }, 1);
      const all = [];
      chains.forEach(function (c) { all.push.apply(all, c.nodes); });
      owners.forEach(function (o) { all.push(o.id); });
      await ensureNodes(all, node.data("apiId"), longest);
      // An owner the network calls could not place is still drawn, so the list can show it.
      const strays = owners.filter(function (o) { return cy.getElementById(nodeId(o.id)).empty(); });
      if (strays.length) {
        merge({ nodes: strays.map(function (o) { return { id: o.id, name: o.name, schema: o.schema }; }), edges: [] }, node);
        refreshAfterMerge(null, true);
      }
      if (ownersOf !== id) {
        return; // another request took over meanwhile
      }
      renderOwners(node, data);
      if (chains.length) {
        highlightChains(chains, [id].concat(owners.map(function (o) { return o.id; })), "Ownership");
      } else {
        clearHighlight(true);
      }
      setStatus(owners.length ? t("ownersFound", { count: owners.length }) : t("ownersNone", { name: name }));
    } catch (error) {
      ownersBox.replaceChildren();
      failed(error);
    }
  }

  /** The translated name of an owner's flag ("range", "cycle"...), or the flag itself. */
  function flagLabel(flag) {
    if (typeof flag !== "string") {
      return JSON.stringify(flag);
    }
    const key = "flag" + flag.split(/[_-]/).map(function (part) {
      return part.charAt(0).toUpperCase() + part.slice(1);
    }).join("");
    return WORDS[key] || flag.replace(/_/g, " ");
  }

  function renderOwners(node, data) {
    const owners = (data.owners || []).slice().sort(function (a, b) {
      const x = num(a.share !== null && a.share !== undefined ? a.share : a.share_max) || 0;
      const y = num(b.share !== null && b.share !== undefined ? b.share : b.share_max) || 0;
      return y - x;
    });
    const parts = [h("h3", null, t("ownersTitle", { name: node.data("name") }))];
    if (owners.length) {
      const ul = h("ul", { className: "network-owner-list" });
      owners.forEach(function (owner) {
        const s = share(owner.share, owner.share_min, owner.share_max) || t("shareUnknown");
        const flags = [].concat(owner.flags || []).map(flagLabel);
        const icon = h("span", { className: "network-node-icon", "aria-hidden": "true" });
        swatch(icon, SCHEMA[owner.schema] ? owner.schema : "Other");
        const via = (owner.paths || []).map(pathIds).filter(function (p) { return p.length > 2; });
        ul.append(h(
          "li",
          { className: "network-owner" },
          icon,
          h("button", { type: "button", className: "link-button network-owner-name", dataset: { select: nodeId(owner.id) } }, owner.name || nameOf(owner.id)),
          h("span", { className: "network-share num" }, s),
          flags.length ? h("span", { className: "network-flags" }, flags.map(function (f) {
            return h("span", { className: "badge network-flag" }, f);
          })) : null,
          via.length ? h("span", { className: "network-via muted small" }, t("via") + " " + via.map(function (p) {
            return p.slice(1, -1).map(nameOf).join(" → ");
          }).join("; ")) : null
        ));
      });
      parts.push(ul);
    } else {
      parts.push(h("p", { className: "muted" }, t("ownersNone", { name: node.data("name") })));
    }
    const declared = data.declared || [];
    if (declared.length) {
      const ul = h("ul", { className: "network-owner-list" });
      declared.forEach(function (d) {
        const who = d.owner !== undefined ? d.owner : d;
        const id = who && typeof who === "object" ? who.id : (d.owner_id !== undefined ? d.owner_id : d.id);
        const label = (who && who.name) || d.name || nameOf(id);
        const s = share(d.share !== undefined ? d.share : d.percentage,
          d.share_min !== undefined ? d.share_min : d.percentage_min,
          d.share_max !== undefined ? d.share_max : d.percentage_max);
        ul.append(h(
          "li",
          { className: "network-owner" },
          id !== undefined && cy.getElementById(nodeId(id)).nonempty()
            ? h("button", { type: "button", className: "link-button", dataset: { select: nodeId(id) } }, label)
            : h("span", null, label),
          s ? h("span", { className: "network-share num" }, s) : null,
          d.role ? h("span", { className: "muted" }, " · " + d.role) : null
        ));
      });
      parts.push(h("h4", null, t("declared")), ul);
    }
    const warnings = data.warnings || [];
    if (warnings.length) {
      parts.push(
        h("h4", null, t("warnings")),
        h("ul", { className: "network-warnings" }, warnings.map(function (w) {
          return h("li", null, typeof w === "string" ? w : (w.message || w.detail || JSON.stringify(w)));
        }))
      );
    }
    ownersBox.replaceChildren.apply(ownersBox, parts);
  }

  threshold.addEventListener("change", function () {
    if (ownersOf && cy.getElementById(ownersOf).nonempty()) {
      showOwners(ownersOf);
    }
  });

  // ------------------------------------------------------------------ paths

  let pathStart = null;
  let pathEnd = null;

  function renderPathEnds() {
    pathStartEl.textContent = pathStart ? nameOf(pathStart) : "—";
    pathEndEl.textContent = pathEnd ? nameOf(pathEnd) : "—";
    findPathsButton.disabled = !(pathStart && pathEnd && pathStart !== pathEnd);
  }

  async function findPaths() {
    if (!(pathStart && pathEnd)) {
      return;
    }
    const from = cy.getElementById(pathStart).data("apiId");
    const to = cy.getElementById(pathEnd).data("apiId");
    const depth = depthSelect.value;
    pathsBox.replaceChildren(h("p", { className: "muted" }, t("pathsLoading")));
    setStatus(t("pathsLoading"));
    try {
      const url = new URL(urls.paths, window.location.href);
      url.searchParams.set("from", from);
      url.searchParams.set("to", to);
      url.searchParams.set("max_depth", depth);
      const data = await getJSON(url.pathname + url.search);
      const chains = (data.paths || []).map(chainOf).filter(function (c) { return c.nodes.length; });
      // The answer carries the entities and relations along the paths: draw those not yet drawn.
      if ((data.nodes && data.nodes.length) || (data.edges && data.edges.length)) {
        const added = merge({ nodes: data.nodes || [], edges: data.edges || [] }, cy.getElementById(pathStart));
        if (added.nodes.length || added.edges.length) {
          refreshAfterMerge(null, added.nodes.length > 0);
        }
      }
      const all = [];
      chains.forEach(function (c) { all.push.apply(all, c.nodes); });
      await ensureNodes(all, from, Number(depth));
      if (!chains.length) {
        clearHighlight(true);
        const none = t("pathsNone", { from: nameOf(pathStart), to: nameOf(pathEnd), depth: depth });
        pathsBox.replaceChildren(h("p", null, none));
        setStatus(none);
        return;
      }
      const ol = h("ol", { className: "network-path-list" });
      chains.forEach(function (chain, i) {
        const steps = h("span", { className: "network-path-steps" });
        chain.nodes.forEach(function (id, j) {
          if (j) {
            steps.append(h("span", { "aria-hidden": "true" }, " → "));
          }
          steps.append(h("button", { type: "button", className: "link-button", dataset: { select: nodeId(id) } }, nameOf(id)));
        });
        ol.append(h("li", { "aria-label": t("pathLabel", { n: i + 1 }) }, steps));
      });
      const parts = [h("p", null, t("pathsFound", { count: chains.length })), ol];
      if (data.truncated) {
        parts.push(h("p", { className: "muted" }, t("pathsTruncated")));
      }
      pathsBox.replaceChildren.apply(pathsBox, parts);
      highlightChains(chains, [pathStart, pathEnd], null);
      setStatus(t("pathsFound", { count: chains.length }));
    } catch (error) {
      pathsBox.replaceChildren();
      failed(error);
    }
  }

  // ------------------------------------------------------------------ events

  cy.on("tap", "node", function (event) {
    const id = event.target.id();
    select(id, { from: "canvas" });
    if (expandToggle.checked) {
      expand(id);
    }
  });
  cy.on("tap", "edge", function (event) {
    cy.elements(":selected").unselect();
    event.target.select();
    selected = null;
    renderEdgeDetails(event.target);
  });
  cy.on("tap", function (event) {
    if (event.target === cy) {
      clearSelection();
    }
  });
  cy.on("mouseover", "node, edge", function () { canvas.classList.add("is-pointing"); });
  cy.on("mouseout", "node, edge", function () { canvas.classList.remove("is-pointing"); });

  root.addEventListener("click", function (event) {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    const chooser = target.closest("[data-select]");
    if (chooser) {
      select(chooser.dataset.select, { from: "panel" });
      return;
    }
    const button = target.closest("button[data-action]");
    if (!button || button.disabled) {
      return;
    }
    const id = button.dataset.id;
    switch (button.dataset.action) {
      case "expand":
        expand(id);
        break;
      case "owners":
        showOwners(id);
        ownersCard.scrollIntoView({ block: "nearest" });
        break;
      case "path-start":
        pathStart = id;
        if (pathEnd === id) {
          pathEnd = null;
        }
        renderPathEnds();
        setStatus(t("pathStartSet", { name: nameOf(id) }));
        renderDetails(selected);
        break;
      case "path-end":
        pathEnd = id;
        if (pathStart === id) {
          pathStart = null;
        }
        renderPathEnds();
        setStatus(t("pathEndSet", { name: nameOf(id) }));
        renderDetails(selected);
        break;
      case "find-paths":
        findPaths();
        break;
      case "clear-path":
        pathStart = null;
        pathEnd = null;
        pathsBox.replaceChildren();
        renderPathEnds();
        clearHighlight(false);
        if (selected) {
          renderDetails(selected);
        }
        break;
      case "clear-highlight":
        clearHighlight(false);
        renderList();
        break;
      case "zoom-in":
      case "zoom-out": {
        const factor = button.dataset.action === "zoom-in" ? 1.25 : 0.8;
        cy.zoom({ level: cy.zoom() * factor, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
        break;
      }
      case "fit":
        cy.fit(cy.elements().not(".is-filtered"), 40);
        break;
      default:
        break;
    }
  });

  root.querySelectorAll('.network-kinds input[name="kind"]').forEach(function (box) {
    box.addEventListener("change", applyFilters);
  });
  dateInput.addEventListener("change", function () {
    applyFilters();
    if (ownersOf && !ownersCard.hidden) {
      showOwners(ownersOf);
    }
  });
  layoutSelect.addEventListener("change", function () { runLayout(false); });

  // ------------------------------------------------------------------ start

  root.querySelectorAll(".network-swatch[data-schema]").forEach(function (el) {
    swatch(el, el.dataset.schema);
  });
  root.querySelectorAll(".network-swatch[data-kind], .network-swatch[data-legend]").forEach(function (el) {
    kindSwatch(el, el.dataset.kind);
  });
  renderDetails(null);
  renderPathEnds();

  async function start() {
    setStatus(t("loading"));
    try {
      const data = await getJSON(urls.graph);
      merge(data, null);
      warningBox.hidden = !data.truncated;
      warningBox.textContent = data.truncated ? t("truncated") : "";
      updateLegend();
      applyFilters();
      cy.resize();
      runLayout(false);
      const focus = root.dataset.focus;
      if (focus && cy.getElementById(nodeId(focus)).nonempty()) {
        expanded.add(nodeId(focus));
        select(focus, { from: "code" });
      }
    } catch (error) {
      showError(t("loadFailed", { status: error.status || "—" }));
      setStatus("");
    }
  }

  start();
})();
