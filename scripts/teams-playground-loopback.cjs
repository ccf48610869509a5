// Preloaded into Microsoft 365 Agents Playground (node --require): every server it opens listens on
// 127.0.0.1 only. As of 0.2.28 it calls `server.listen(port, callback)` with no host, which Node binds to
// every interface (its web UI, its mock Bot Connector and its websocket would be open to the network).
"use strict";
const net = require("net");

const LOOPBACK = "127.0.0.1";
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const first = args[0];
  if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, callback]): put the host in when it is missing or empty.
    if (args.length < 2 || args[1] === undefined || args[1] === null) args[1] = LOOPBACK;
    else if (typeof args[1] !== "string") args.splice(1, 0, LOOPBACK);
  } else if (first && typeof first === "object" && first.path === undefined && !first.host) {
    args[0] = { ...first, host: LOOPBACK }; // listen({port, ...})
  } else if (first === undefined || typeof first === "function") {
    args.unshift(0, LOOPBACK); // listen([callback]): any free port, on loopback
  }
  return listen.apply(this, args);
};
