// What the web chat and the console share: building the page from text, never from HTML.
"use strict";

const $ = (id) => document.getElementById(id);

// An element with attributes (class, on* listeners, others as attributes) and children (strings are
// inserted as text nodes, so content from the server cannot become markup).
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
};
