// The specialist console: review queue, FAQ entries, insights. Everything shown comes from
// /api/console/... and is inserted as text (never as HTML), so chat content cannot run as code here.
"use strict";

const TEXT = {
  ja: {
    skip: "本文へ移動", title: "Yorozu 専門家コンソール", nav: "コンソール", reviewNav: "レビュー待ち",
    faqNav: "FAQ", insightsNav: "インサイト", logout: "ログアウト", loginTitle: "ログイン",
    loginHelp: "管理者から受け取ったコンソール用トークン（YOROZU_CONSOLE_TOKEN）を入力してください。",
    tokenLabel: "トークン", loginButton: "ログイン", wrongToken: "トークンが違います。",
    reviewTitle: "レビュー待ち（役に立たなかった）",
    reviewHelp: "Yorozu の提案に「役に立たなかった」が押された質問です。FAQ を直すか作ったら、解決済みにしてください。",
    faqTitle: "FAQ", statusFilter: "状態", all: "すべて", draft: "下書き", published: "公開中", retired: "取り下げ",
    dueOnly: "見直し期限の過ぎたものだけ", verifierLabel: "確認者として表示する名前（任意）",
    insightsTitle: "インサイト", daysLabel: "期間", days30: "30日", days90: "90日", days365: "1年",
    loading: "読み込み中…", saved: "保存しました。", error: (m) => `エラー：${m}`,
    pressedAt: "押された日時", question: "質問", where: "場所", suggested: "提案されたもの", actions: "操作",
    resolve: "解決済みにする", resolveLabel: (q) => `解決済みにする：${q}`, resolved: "解決済みにしました。",
    noReview: "レビュー待ちはありません。", reviewCaption: (n) => `${n} 件`,
    faqRef: (id) => `FAQ ${id}`, threadRef: (where, root) => `${where} のスレッド（${root}）`,
    id: "番号", status: "状態", tags: "タグ", verified: "確認", review: "見直し", noFaq: "FAQ はまだありません。",
    due: "見直し期限", notVerified: "未確認", publish: "公開", retire: "取り下げ", toDraft: "下書きに戻す",
    verify: "確認した", history: "履歴", actionLabel: (a, id) => `${a}：FAQ ${id}`,
    retireConfirm: (id) => `FAQ ${id} を取り下げます。取り下げた FAQ は提案されなくなります。よろしいですか？`,
    historyTitle: (id) => `FAQ ${id} の履歴`, by: (who) => `（${who}）`, hidden: "（非表示）", version: "版",
    unanswered: "未回答の質問", repeated: "繰り返される質問", gaps: "知識のすきま（Yorozu が黙った質問）",
    helpfulness: "役立ち率", reviewDue: "見直し期限の過ぎた FAQ", since: (d) => `${d} から`,
    rateDetail: (h) => `解決 ${h.solved}・役に立たなかった ${h.unhelpful}・反応なし ${h.unknown}`,
    times: (n) => `${n} 回`, latest: (d) => `最新 ${d}`, none: "ありません。", total: (n) => `全 ${n} 件`,
    paren: (x) => `（${x}）`, listSep: "、",
    changes: { created: "作成", edited: "編集", published: "公開", verified: "確認", retired: "取り下げ", unpublished: "下書きに戻す", imported: "インポート" },
  },
  en: {
    skip: "Skip to content", title: "Yorozu specialist console", nav: "Console", reviewNav: "Review queue",
    faqNav: "FAQ", insightsNav: "Insights", logout: "Log out", loginTitle: "Log in",
    loginHelp: "Enter the console token (YOROZU_CONSOLE_TOKEN) your administrator gave you.",
    tokenLabel: "Token", loginButton: "Log in", wrongToken: "That token is wrong.",
    reviewTitle: "Review queue (not helpful)",
    reviewHelp: "Questions where someone pressed “not helpful” on Yorozu’s suggestion. Fix or write an FAQ entry, then resolve the item.",
    faqTitle: "FAQ", statusFilter: "Status", all: "All", draft: "Draft", published: "Published", retired: "Retired",
    dueOnly: "Only entries due for review", verifierLabel: "Name to show as verifier (optional)",
    insightsTitle: "Insights", daysLabel: "Period", days30: "30 days", days90: "90 days", days365: "1 year",
    loading: "Loading…", saved: "Saved.", error: (m) => `Error: ${m}`,
    pressedAt: "Pressed", question: "Question", where: "Where", suggested: "Suggested", actions: "Actions",
    resolve: "Resolve", resolveLabel: (q) => `Resolve: ${q}`, resolved: "Resolved.",
    noReview: "Nothing waits for review.", reviewCaption: (n) => `${n} item(s)`,
    faqRef: (id) => `FAQ ${id}`, threadRef: (where, root) => `thread in ${where} (${root})`,
    id: "No.", status: "Status", tags: "Tags", verified: "Verified", review: "Review", noFaq: "No FAQ entries yet.",
    due: "Due for review", notVerified: "Not verified", publish: "Publish", retire: "Retire", toDraft: "Back to draft",
    verify: "Verify", history: "History", actionLabel: (a, id) => `${a}: FAQ ${id}`,
    retireConfirm: (id) => `Retire FAQ ${id}? A retired entry is no longer suggested.`,
    historyTitle: (id) => `History of FAQ ${id}`, by: (who) => ` (${who})`, hidden: " (hidden)", version: "v",
    unanswered: "Unanswered questions", repeated: "Repeated questions", gaps: "Knowledge gaps (Yorozu stayed silent)",
    helpfulness: "Helpfulness", reviewDue: "FAQ entries due for review", since: (d) => `since ${d}`,
    rateDetail: (h) => `${h.solved} solved, ${h.unhelpful} not helpful, ${h.unknown} without feedback`,
    times: (n) => `×${n}`, latest: (d) => `latest ${d}`, none: "None.", total: (n) => `${n} in all`,
    paren: (x) => ` (${x})`, listSep: ", ",
    changes: {},
  },
};

// English where the browser's first language is English; Japanese otherwise.
const first = ((navigator.languages && navigator.languages[0]) || navigator.language || "ja").toLowerCase();
const LANG = first.startsWith("en") ? "en" : "ja";
const t = (key, ...args) => {
  const value = TEXT[LANG][key] ?? TEXT.ja[key] ?? key;
  return typeof value === "function" ? value(...args) : value;
};
const change = (name) => TEXT[LANG].changes[name] || name;

document.documentElement.lang = LANG;
document.title = t("title");
document.querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = t(e.dataset.i18n); });
document.querySelectorAll("[data-i18n-label]").forEach((e) => e.setAttribute("aria-label", t(e.dataset.i18nLabel)));

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
};
const fmtDate = (iso) => { const d = new Date(iso); return iso && !isNaN(d) ? d.toLocaleDateString(LANG === "en" ? "en-GB" : "ja-JP") : "—"; };
const fmtTime = (iso) => { const d = new Date(iso); return iso && !isNaN(d) ? d.toLocaleString(LANG === "en" ? "en-GB" : "ja-JP") : "—"; };
const firstLine = (text, n = 80) => { const line = (text || "").split("\n")[0]; return line.length > n ? line.slice(0, n) + "…" : line; };
const say = (message, isError = false) => { const s = $("status"); s.textContent = message; s.className = isError ? "error" : ""; };

class LoggedOut extends Error {}

async function api(method, path, body) {
  const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (method !== "GET") {
    // The server refuses a POST without both: a page on another site cannot send them unasked.
    options.headers["Content-Type"] = "application/json";
    options.headers["X-Yorozu-Console"] = "1";
    options.body = JSON.stringify(body || {});
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({ error: response.statusText }));
  if (response.status === 401 && path !== "/api/console/login") { showLogin(); throw new LoggedOut(); }
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

async function run(work) {
  try { await work(); } catch (err) { if (!(err instanceof LoggedOut)) say(t("error", err.message), true); }
}

function showLogin() {
  $("app").hidden = true; $("nav").hidden = true; $("login").hidden = false;
  $("token").focus();
}

function table(caption, headers, rows) {
  return el("table", {},
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...rows));
}

// --- review queue ---------------------------------------------------------------------------------

function where(platform, channelId, channelName) {
  if (channelName) return `#${channelName}`;
  return channelId ? `${platform} ${channelId}` : platform;
}

function suggestedText(s) {
  if (s.kind === "faq") return t("faqRef", s.faq_id ?? "?");
  if (s.kind === "thread") return t("threadRef", where(s.platform, s.channel_id, s.channel_name), s.root_message_id);
  return s.key;
}

async function loadReview() {
  const box = $("review-body");
  const data = await api("GET", "/api/console/review");
  box.textContent = "";
  if (!data.items.length) { box.append(el("p", { class: "none" }, t("noReview"))); return; }
  const rows = data.items.map((item) => el("tr", {},
    el("td", {}, fmtTime(item.created_at)),
    el("td", { class: "question" }, item.question),
    el("td", {}, where(item.platform, item.channel_id, item.channel_name)),
    el("td", {}, suggestedText(item.suggested)),
    el("td", {}, el("button", {
      type: "button", "aria-label": t("resolveLabel", firstLine(item.question, 40)),
      onclick: (e) => run(async () => {
        e.target.disabled = true;
        await api("POST", `/api/console/review/${item.id}/resolve`);
        say(t("resolved"));
        await loadReview();
      }),
    }, t("resolve")))));
  box.append(table(t("reviewCaption", data.items.length), [t("pressedAt"), t("question"), t("where"), t("suggested"), t("actions")], rows));
}

// --- FAQ entries ----------------------------------------------------------------------------------

const STORED_VERIFIER = "yorozu.console.verifier";

function faqActions(entry) {
  const buttons = [];
  const act = (label, work, secondary = false) => buttons.push(el("button", {
    type: "button", class: secondary ? "secondary" : null, "aria-label": t("actionLabel", label, entry.id),
    onclick: (e) => run(async () => { e.target.disabled = true; try { await work(); } finally { e.target.disabled = false; } }),
  }, label));
  const setStatus = (status) => async () => {
    await api("POST", `/api/console/faq/${entry.id}/status`, { status });
    say(t("saved")); await Promise.all([loadFaq(), loadInsights()]);
  };
  if (entry.status !== "published") act(t("publish"), setStatus("published"));
  if (entry.status !== "retired") act(t("verify"), async () => {
    const name = $("verifier").value.trim();
    await api("POST", `/api/console/faq/${entry.id}/verify`, name ? { verified_by: name } : {});
    say(t("saved")); await Promise.all([loadFaq(), loadInsights()]);
  });
  if (entry.status === "published") act(t("retire"), async () => {
    if (!window.confirm(t("retireConfirm", entry.id))) return;
    await setStatus("retired")();
  }, true);
  if (entry.status !== "draft") act(t("toDraft"), setStatus("draft"), true);
  act(t("history"), () => showHistory(entry.id), true);
  return buttons;
}

async function loadFaq() {
  const box = $("faq-body");
  const params = new URLSearchParams();
  if ($("faq-status").value) params.set("status", $("faq-status").value);
  if ($("faq-due").checked) params.set("due", "1");
  const data = await api("GET", `/api/console/faq?${params}`);
  box.textContent = "";
  if (!data.entries.length) { box.append(el("p", { class: "none" }, t("noFaq"))); return; }
  const rows = data.entries.map((e) => el("tr", {},
    el("td", {}, String(e.id)),
    el("td", { class: "question" }, firstLine(e.question, 120)),
    el("td", {}, el("span", { class: `badge ${e.status}` }, t(e.status))),
    el("td", {}, e.tags.join(t("listSep")) || "—"),
    el("td", {}, e.verified_at ? fmtDate(e.verified_at) + (e.verified_by ? t("by", e.verified_by) : "") : t("notVerified")),
    el("td", {}, e.review_due ? el("span", { class: "badge due" }, t("due")) : (e.review_at ? fmtDate(e.review_at) : "—")),
    el("td", {}, ...faqActions(e))));
  box.append(table(t("total", data.entries.length), [t("id"), t("question"), t("status"), t("tags"), t("verified"), t("review"), t("actions")], rows));
}

async function showHistory(id) {
  const box = $("faq-detail");
  const data = await api("GET", `/api/console/faq/${id}`);
  box.textContent = "";
  box.append(el("h3", {}, t("historyTitle", id)), el("p", { class: "question" }, data.question), el("p", { class: "question meta" }, data.answer));
  box.append(el("ol", { class: "history" }, ...data.history.map((v) =>
    el("li", {}, `${t("version")}${v.version} ${fmtTime(v.created_at)} ${change(v.change)}${v.editor ? t("by", v.editor) : t("hidden")}`))));
  box.focus();
}

// --- insights -------------------------------------------------------------------------------------

function list(items, render) {
  return items.length ? el("ul", { class: "plain" }, ...items.map((i) => el("li", {}, render(i)))) : el("p", { class: "none" }, t("none"));
}

async function loadInsights() {
  const box = $("insights-body");
  const data = await api("GET", `/api/console/insights?days=${encodeURIComponent($("days").value)}`);
  const h = data.helpfulness;
  box.textContent = "";
  box.append(el("p", { class: "meta" }, t("since", fmtDate(data.since))));
  const figure = (label, value, detail) => el("li", {}, el("strong", {}, String(value)), label, detail ? el("div", { class: "meta" }, detail) : null);
  box.append(el("ul", { class: "figures" },
    figure(t("unanswered"), data.unanswered.total),
    figure(t("repeated"), data.repeated.length),
    figure(t("gaps"), data.gaps.total),
    figure(t("helpfulness"), h.rate === null ? "—" : `${Math.round(h.rate * 100)}%`, t("rateDetail", h)),
    figure(t("reviewDue"), data.faq_review_due.length)));
  box.append(el("h3", {}, t("unanswered")), list(data.unanswered.latest, (u) => `${fmtDate(u.asked_at)} ${where(u.platform, u.channel_id, u.channel_name)} ${u.title}`));
  box.append(el("h3", {}, t("repeated")), list(data.repeated, (r) => `${t("times", r.count)} ${r.title}${t("paren", t("latest", fmtDate(r.latest)))}`));
  box.append(el("h3", {}, t("gaps")), list(data.gaps.latest, (g) => `${fmtDate(g.asked_at)} ${firstLine(g.question)}`));
  box.append(el("h3", {}, t("reviewDue")), list(data.faq_review_due, (e) => `FAQ ${e.id} ${e.title}${t("paren", fmtDate(e.review_at))}`));
}

// --- start ----------------------------------------------------------------------------------------

async function start() {
  const session = await api("GET", "/api/console/session");
  $("login").hidden = true; $("app").hidden = false; $("nav").hidden = false;
  $("logout").hidden = !session.token_required;
  say(t("loading"));
  await Promise.all([loadReview(), loadFaq(), loadInsights()]);
  say("");
}

$("login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  $("login-error").textContent = "";
  run(async () => {
    try {
      await api("POST", "/api/console/login", { token: $("token").value });
    } catch (err) {
      $("login-error").textContent = t("wrongToken");
      return;
    }
    $("token").value = "";
    await start();
  });
});
$("logout").addEventListener("click", () => run(async () => { await api("POST", "/api/console/logout"); showLogin(); }));
$("faq-filter").addEventListener("change", (e) => {
  if (e.target.id === "verifier") { localStorage.setItem(STORED_VERIFIER, e.target.value.trim()); return; }
  run(loadFaq);
});
$("faq-filter").addEventListener("submit", (e) => e.preventDefault());
$("insights-filter").addEventListener("change", () => run(loadInsights));
$("verifier").value = localStorage.getItem(STORED_VERIFIER) || "";
run(start);
