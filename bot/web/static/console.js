// The specialist console: review queue, FAQ entries (create, edit, preview, history), whole threads,
// insights and counts. Everything shown comes from /api/console/... and is inserted as text (never as
// HTML), and only http(s) links are made clickable, so chat content cannot run as code here.
"use strict";

const TEXT = {
  ja: {
    skip: "本文へ移動", title: "Yorozu 専門家コンソール", nav: "コンソール", reviewNav: "レビュー待ち",
    faqNav: "FAQ", insightsNav: "インサイト", chatNav: "ウェブチャット", logout: "ログアウト", language: "表示言語",
    loginTitle: "ログイン", loginHelp: "管理者から受け取ったコンソール用トークン（YOROZU_CONSOLE_TOKEN）を入力してください。",
    tokenLabel: "トークン", loginButton: "ログイン", wrongToken: "トークンが違います。",
    reviewTitle: "レビュー待ち（役に立たなかった）",
    reviewHelp: "Yorozu の提案に「役に立たなかった」が押された質問です。FAQ を直すか作ったら、解決済みにしてください。",
    faqTitle: "FAQ", newFaq: "新しい FAQ を書く", statusFilter: "状態", all: "すべて", draft: "下書き", published: "公開中", retired: "取り下げ",
    dueOnly: "見直し期限の過ぎたものだけ", verifierLabel: "確認者として表示する名前（任意）",
    question: "質問", answer: "回答", tagsLabel: "タグ（; 区切り）", intervalLabel: "見直しの間隔（日）",
    publishNow: "すぐに公開する（確認済みとして記録）", save: "保存", cancel: "閉じる",
    previewTitle: "プレビュー（提案されたときの見え方）", editorNew: "新しい FAQ", editorEdit: (id) => `FAQ ${id} を編集`,
    fromThread: (k) => `元のスレッド：${k}`, savedNew: (id, st) => `FAQ ${id} を保存しました（${st}）。`, savedEdit: (id) => `FAQ ${id} を保存しました。`,
    unchanged: "変更はありませんでした。",
    insightsTitle: "インサイト", daysLabel: "期間", days30: "30日", days90: "90日", days365: "1年",
    loading: "読み込み中…", saved: "保存しました。", error: (m) => `エラー：${m}`,
    pressedAt: "押された日時", where: "場所", suggested: "役に立たなかった提案", actions: "操作",
    resolve: "解決済みにする", resolveLabel: (q) => `解決済みにする：${q}`, resolved: "解決済みにしました。",
    noReview: "レビュー待ちはありません。", reviewCaption: (n) => `${n} 件`,
    faqRef: (id) => `FAQ ${id}`, threadRef: (where) => `${where} のスレッド`, webChat: "ウェブチャット",
    id: "番号", status: "状態", tags: "タグ", verified: "確認", review: "見直し", noFaq: "FAQ はまだありません。",
    due: "見直し期限", notVerified: "未確認", publish: "公開", retire: "取り下げ", toDraft: "下書きに戻す",
    verify: "確認した", edit: "編集", history: "履歴", actionLabel: (a, id) => `${a}：FAQ ${id}`,
    retireConfirm: (id) => `FAQ ${id} を取り下げます。取り下げた FAQ は提案されなくなります。よろしいですか？`,
    historyTitle: (id) => `FAQ ${id} の履歴（何が変わったか）`, by: (who) => `（${who}）`, hidden: "（非表示）", version: (v) => `第${v}版`,
    unanswered: "未回答の質問", repeated: "繰り返される質問", gaps: "知識のすきま（Yorozu が黙った質問）",
    helpfulness: "役立ち率", reviewDue: "見直し期限の過ぎた FAQ", since: (d) => `${d} から`,
    rateDetail: (h) => `解決 ${h.solved}・役に立たなかった ${h.unhelpful}・反応なし ${h.unknown}`,
    times: (n) => `${n} 回`, latest: (d) => `最新 ${d}`, none: "ありません。", total: (n) => `全 ${n} 件`,
    paren: (x) => `（${x}）`, listSep: "、", offTopic: (n) => `関係のない雑談 ${n} 件は除いています。`,
    asked: (n) => `${n} 回質問されました`, sameQuestion: "言い方の違う同じ質問：",
    openThread: "スレッドを開く", openFaq: "FAQ を開く", writeFaq: "この質問の FAQ を書く", makeFaq: "このスレッドから FAQ を作る",
    editFaq: (id) => `FAQ ${id} を編集する`, openOriginal: "元のスレッドを開く（チャット）", close: "閉じる",
    replies: (n) => `返信 ${n} 件`, acceptedMark: "解決した回答", questionMark: "質問", edited: "（編集済み）",
    unnamed: "（名前の表示を控えている方）", reactions: "リアクション", threadGone: "このスレッドは開けません（削除されたか、非公開チャンネルのものです）。",
    field: { question: "質問", answer: "回答", tags: "タグ", status: "状態", review_interval_days: "見直しの間隔（日）" },
    counts: "数（yorozu stats・/healthz と同じ数え方）", viaConsole: "コンソール", viaCli: "コマンドライン",
    changes: { created: "作成", edited: "編集", published: "公開", verified: "確認", retired: "取り下げ", unpublished: "下書きに戻す", imported: "インポート" },
    cardVerified: (n, d) => `確認：${n}（${d}）`, cardVerifiedUnnamed: (d) => `確認済み（${d}）`, cardUnverified: "未確認",
    cardDue: "⚠ 見直しの時期を過ぎています", solvedButton: "解決した", unhelpfulButton: "役に立たなかった", faqBadge: "FAQ",
    previewEmpty: "質問と回答を書くと、ここに表示されます。",
  },
  en: {
    skip: "Skip to content", title: "Yorozu specialist console", nav: "Console", reviewNav: "Review queue",
    faqNav: "FAQ", insightsNav: "Insights", chatNav: "Web chat", logout: "Log out", language: "Language",
    loginTitle: "Log in", loginHelp: "Enter the console token (YOROZU_CONSOLE_TOKEN) your administrator gave you.",
    tokenLabel: "Token", loginButton: "Log in", wrongToken: "That token is wrong.",
    reviewTitle: "Review queue (not helpful)",
    reviewHelp: "Questions where someone pressed “not helpful” on Yorozu’s suggestion. Fix or write an FAQ entry, then resolve the item.",
    faqTitle: "FAQ", newFaq: "Write a new FAQ entry", statusFilter: "Status", all: "All", draft: "Draft", published: "Published", retired: "Retired",
    dueOnly: "Only entries due for review", verifierLabel: "Name to show as verifier (optional)",
    question: "Question", answer: "Answer", tagsLabel: "Tags (separated by ;)", intervalLabel: "Review every (days)",
    publishNow: "Publish now (recorded as verified)", save: "Save", cancel: "Close",
    previewTitle: "Preview (as suggested)", editorNew: "New FAQ entry", editorEdit: (id) => `Edit FAQ ${id}`,
    fromThread: (k) => `From the thread ${k}`, savedNew: (id, st) => `Saved FAQ ${id} (${st}).`, savedEdit: (id) => `Saved FAQ ${id}.`,
    unchanged: "Nothing changed.",
    insightsTitle: "Insights", daysLabel: "Period", days30: "30 days", days90: "90 days", days365: "1 year",
    loading: "Loading…", saved: "Saved.", error: (m) => `Error: ${m}`,
    pressedAt: "Pressed", where: "Where", suggested: "Suggestion judged not helpful", actions: "Actions",
    resolve: "Resolve", resolveLabel: (q) => `Resolve: ${q}`, resolved: "Resolved.",
    noReview: "Nothing waits for review.", reviewCaption: (n) => `${n} item(s)`,
    faqRef: (id) => `FAQ ${id}`, threadRef: (where) => `thread in ${where}`, webChat: "web chat",
    id: "No.", status: "Status", tags: "Tags", verified: "Verified", review: "Review", noFaq: "No FAQ entries yet.",
    due: "Due for review", notVerified: "Not verified", publish: "Publish", retire: "Retire", toDraft: "Back to draft",
    verify: "Verify", edit: "Edit", history: "History", actionLabel: (a, id) => `${a}: FAQ ${id}`,
    retireConfirm: (id) => `Retire FAQ ${id}? A retired entry is no longer suggested.`,
    historyTitle: (id) => `History of FAQ ${id} (what changed)`, by: (who) => ` (${who})`, hidden: " (hidden)", version: (v) => `v${v}`,
    unanswered: "Unanswered questions", repeated: "Repeated questions", gaps: "Knowledge gaps (Yorozu stayed silent)",
    helpfulness: "Helpfulness", reviewDue: "FAQ entries due for review", since: (d) => `since ${d}`,
    rateDetail: (h) => `${h.solved} solved, ${h.unhelpful} not helpful, ${h.unknown} without feedback`,
    times: (n) => `×${n}`, latest: (d) => `latest ${d}`, none: "None.", total: (n) => `${n} in all`,
    paren: (x) => ` (${x})`, listSep: ", ", offTopic: (n) => `${n} off-topic message(s) left out.`,
    asked: (n) => `asked ${n} time(s)`, sameQuestion: "The same question, worded differently:",
    openThread: "Open the thread", openFaq: "Open the FAQ entry", writeFaq: "Write an FAQ entry for this", makeFaq: "Make an FAQ entry from this thread",
    editFaq: (id) => `Edit FAQ ${id}`, openOriginal: "Open in the chat", close: "Close",
    replies: (n) => `${n} repl${n === 1 ? "y" : "ies"}`, acceptedMark: "Accepted answer", questionMark: "Question", edited: " (edited)",
    unnamed: "(name withheld)", reactions: "Reactions", threadGone: "This thread cannot be opened (deleted, or from a private channel).",
    field: { question: "Question", answer: "Answer", tags: "Tags", status: "Status", review_interval_days: "Review interval (days)" },
    counts: "Counts (as yorozu stats and /healthz count them)", viaConsole: "the console", viaCli: "the command line",
    changes: { created: "created", edited: "edited", published: "published", verified: "verified", retired: "retired", unpublished: "back to draft", imported: "imported" },
    cardVerified: (n, d) => `Verified by ${n} on ${d}`, cardVerifiedUnnamed: (d) => `Verified on ${d}`, cardUnverified: "Not verified yet",
    cardDue: "⚠ Due for review", solvedButton: "Solved it", unhelpfulButton: "Not helpful", faqBadge: "FAQ",
    previewEmpty: "Write a question and an answer to see them here.",
  },
};

// Japanese unless English is chosen on this page (the choice is remembered in this browser).
const LANG_KEY = "yorozu.console.lang";
const LANG = localStorage.getItem(LANG_KEY) === "en" ? "en" : "ja";
const t = (key, ...args) => {
  const value = TEXT[LANG][key] ?? TEXT.ja[key] ?? key;
  return typeof value === "function" ? value(...args) : value;
};
const change = (name) => TEXT[LANG].changes[name] || name;

document.documentElement.lang = LANG;
document.title = t("title");
document.querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = t(e.dataset.i18n); });
document.querySelectorAll("[data-i18n-label]").forEach((e) => e.setAttribute("aria-label", t(e.dataset.i18nLabel)));

// $ and el come from dom.js, loaded first.
const pad = (n) => String(n).padStart(2, "0");
// Dates as Japanese offices write them (2026/12/3); English: 3 Dec 2026.
const fmtDate = (iso) => {
  const d = new Date(iso);
  if (!iso || isNaN(d)) return "—";
  return LANG === "en" ? d.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" }) : `${d.getFullYear()}/${d.getMonth() + 1}/${d.getDate()}`;
};
const fmtTime = (iso) => {
  const d = new Date(iso);
  return iso && !isNaN(d) ? `${fmtDate(iso)} ${d.getHours()}:${pad(d.getMinutes())}` : "—";
};
const firstLine = (text, n = 80) => { const line = (text || "").split("\n")[0]; return line.length > n ? line.slice(0, n) + "…" : line; };
const safeUrl = (url) => {
  if (typeof url !== "string" || !/^https?:\/{2}/i.test(url)) return null;
  try { const u = new URL(url); return u.protocol === "http:" || u.protocol === "https:" ? u.href : null; } catch { return null; }
};
const say = (message, isError = false) => { const s = $("status"); s.textContent = message; s.className = isError ? "error" : ""; };
// A message beside the control that was used (not at the top of the page).
const tell = (box, message, isError = false) => { box.textContent = message; box.className = "message" + (isError ? " error" : " ok"); };
const message = () => el("span", { class: "message", role: "status", "aria-live": "polite" });

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

// Run an action; a failure is told in ``box`` (beside the control), else at the top.
async function run(work, box = null) {
  try { await work(); } catch (err) {
    if (err instanceof LoggedOut) return;
    if (box) tell(box, t("error", err.message), true); else say(t("error", err.message), true);
  }
}

function showLogin() {
  $("app").hidden = true; $("nav").hidden = true; $("login").hidden = false;
  $("token").focus();
}

function table(caption, headers, rows, cls = "") {
  return el("table", { class: cls },
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...rows));
}
// A cell that says its column's name on a narrow screen, where the table becomes cards.
const cell = (label, cls, ...children) => el("td", { "data-label": label, class: cls || null }, ...children);

function show(section) {
  section.hidden = false;
  section.scrollIntoView({ block: "start" });
  section.focus({ preventScroll: true });
}

// --- whole threads --------------------------------------------------------------------------------

const REACTIONS = { "+1": "👍", thumbsup: "👍", white_check_mark: "✅", heavy_check_mark: "✔️", pray: "🙏", eyes: "👀", tada: "🎉", clap: "👏", bow: "🙇", ok_hand: "👌", raised_hands: "🙌", like: "👍", heart: "❤️" };

function postView(p, isQuestion) {
  const who = el("div", { class: "who" },
    isQuestion ? el("span", { class: "badge" }, t("questionMark")) : null,
    p.author ? (p.organization ? `${p.author}（${p.organization}）` : p.author) : t("unnamed"),
    el("span", { class: "meta" }, ` ${fmtTime(p.posted_at)}${p.edited ? t("edited") : ""}`),
    p.accepted ? el("span", { class: "badge published" }, t("acceptedMark")) : null);
  const reacts = p.reactions.length
    ? el("div", { class: "reactions", "aria-label": t("reactions") }, ...p.reactions.map((r) => el("span", {}, `${REACTIONS[r.name] || ":" + r.name + ":"} ${r.count}`)))
    : null;
  return el("div", { class: "post" + (p.accepted ? " accepted" : "") }, who, el("div", { class: "body" }, p.text), reacts);
}

async function openThread(key) {
  const box = $("thread-body");
  box.textContent = t("loading");
  show($("thread"));
  let data;
  try { data = await api("GET", `/api/console/thread?key=${encodeURIComponent(key)}`); } catch (err) {
    if (err instanceof LoggedOut) return;
    box.textContent = "";
    box.append(el("p", { class: "error" }, t("threadGone")), el("p", { class: "meta" }, err.message));
    return;
  }
  box.textContent = "";
  const where = data.channel_name ? `#${data.channel_name}` : data.platform;
  const note = message();
  const makeFaq = el("button", { type: "button", onclick: () => run(async () => {
    const draft = await api("GET", `/api/console/thread/draft?key=${encodeURIComponent(key)}`);
    openEditor(draft.faq_id ? { ...draft, id: draft.faq_id } : draft);
  }, note) }, data.faq_id ? t("editFaq", data.faq_id) : t("makeFaq"));
  const original = safeUrl(data.url);
  box.append(
    el("h3", {}, data.title),
    el("p", { class: "meta" }, `${where}・${data.platform}・${t("replies", data.replies.length)}`),
    el("div", { class: "actions" }, makeFaq,
      original ? el("a", { href: original, target: "_blank", rel: "noopener noreferrer" }, t("openOriginal")) : null,
      el("button", { type: "button", class: "secondary", onclick: () => { $("thread").hidden = true; } }, t("close")), note),
    postView(data.question, true),
    ...data.replies.map((r) => postView(r, false)));
}

// --- review queue ---------------------------------------------------------------------------------

function where(platform, channelId, channelName) {
  if (channelName) return `#${channelName}`;
  if (platform === "web") return t("webChat");
  return channelId ? `${platform} ${channelId}` : platform;
}

function suggestedView(s) {
  const parts = [];
  if (s.kind === "faq") parts.push(el("strong", {}, `${t("faqRef", s.faq_id ?? "?")} `));
  else if (s.kind === "thread") parts.push(el("span", { class: "meta" }, t("threadRef", where(s.platform, s.channel_id, s.channel_name))), el("br"));
  parts.push(el("span", { class: "shown-title" }, s.title || s.key));
  if (s.excerpt) parts.push(el("div", { class: "meta excerpt" }, s.excerpt));
  if (s.kind === "thread") parts.push(el("div", {}, el("button", { type: "button", class: "link", onclick: () => openThread(s.key) }, t("openThread"))));
  if (s.kind === "faq" && s.faq_id) parts.push(el("div", {}, el("button", { type: "button", class: "link", onclick: () => run(async () => openEditor(await api("GET", `/api/console/faq/${s.faq_id}`))) }, t("openFaq"))));
  return parts;
}

async function loadReview() {
  const box = $("review-body");
  const data = await api("GET", "/api/console/review");
  box.textContent = "";
  if (!data.items.length) { box.append(el("p", { class: "none" }, t("noReview"))); return; }
  const rows = data.items.map((item) => {
    const note = message();
    return el("tr", {},
      cell(t("pressedAt"), null, fmtTime(item.created_at)),
      cell(t("question"), "question", item.question),
      cell(t("where"), null, where(item.platform, item.channel_id, item.channel_name)),
      cell(t("suggested"), "shown", ...suggestedView(item.suggested)),
      cell(t("actions"), "actions-cell",
        el("button", { type: "button", class: "secondary", onclick: () => openEditor({ question: item.question, answer: "" }) }, t("writeFaq")),
        el("button", {
          type: "button", "aria-label": t("resolveLabel", firstLine(item.question, 40)),
          onclick: (e) => run(async () => {
            e.target.disabled = true;
            try {
              await api("POST", `/api/console/review/${item.id}/resolve`);
              tell(note, t("resolved"));
              setTimeout(() => run(loadReview), 1200);
            } finally { e.target.disabled = false; }
          }, note),
        }, t("resolve")), note));
  });
  box.append(table(t("reviewCaption", data.items.length), [t("pressedAt"), t("question"), t("where"), t("suggested"), t("actions")], rows, "cards"));
}

// --- FAQ editor with preview ----------------------------------------------------------------------

const STORED_VERIFIER = "yorozu.console.verifier";
let editing = null; // the entry being edited (null: a new one); its source thread for a new one
let source = null;

function excerpt(text, n = 160) { const flat = (text || "").replace(/\s+/g, " ").trim(); return flat.length > n ? flat.slice(0, n - 1) + "…" : flat; }

function previewFacts() {
  const name = $("verifier").value.trim();
  const publishing = $("f-publish").checked || (editing && editing.status === "published");
  const verifiedAt = publishing && !(editing && editing.verified_at) ? new Date().toISOString() : editing && editing.verified_at;
  const by = publishing && !(editing && editing.verified_at) ? name : editing && editing.verified_by;
  const facts = [verifiedAt ? (by ? t("cardVerified", by, fmtDate(verifiedAt)) : t("cardVerifiedUnnamed", fmtDate(verifiedAt))) : t("cardUnverified")];
  if (editing && editing.review_due) facts.push(t("cardDue"));
  return facts;
}

function renderPreview() {
  const question = $("f-question").value.trim();
  const answer = $("f-answer").value.trim();
  for (const id of ["preview-teams", "preview-slack"]) {
    const box = $(id);
    box.textContent = "";
    if (!question && !answer) { box.append(el("p", { class: "none" }, t("previewEmpty"))); continue; }
    const title = firstLine(question, 60);
    const facts = previewFacts();
    if (id === "preview-teams") {
      box.append(el("div", { class: "ac-title" }, el("span", { class: "ac-badge" }, t("faqBadge")), title),
        el("div", { class: "ac-text" }, excerpt(answer)),
        ...facts.map((f) => el("div", { class: "ac-fact" }, f)),
        el("div", { class: "ac-actions" }, el("span", {}, t("solvedButton")), el("span", {}, t("unhelpfulButton"))));
    } else {
      box.append(el("div", { class: "bk-section" }, el("strong", {}, `${t("faqBadge")} ・ ${title}`), el("div", {}, excerpt(answer))),
        el("div", { class: "bk-context" }, facts.join("  ·  ")),
        el("div", { class: "bk-actions" }, el("span", {}, t("solvedButton")), el("span", {}, t("unhelpfulButton"))));
    }
  }
}

function openEditor(entry = {}) {
  editing = entry.id ? entry : null;
  source = entry.id ? entry.source_thread || null : entry.source_thread || null;
  $("editor-h").textContent = editing ? t("editorEdit", editing.id) : t("editorNew");
  const from = $("editor-source");
  from.textContent = "";
  if (source) from.append(el("button", { type: "button", class: "link", onclick: () => openThread(source) }, t("openThread")), ` ${source}`);
  $("f-question").value = entry.question || "";
  $("f-answer").value = entry.answer || "";
  $("f-tags").value = (entry.tags || []).join("; ");
  $("f-days").value = entry.review_interval_days || 180;
  $("f-publish").checked = false;
  $("f-publish-row").hidden = !!(editing && editing.status === "published");
  $("f-message").textContent = "";
  renderPreview();
  show($("faq-editor"));
  $("f-question").focus();
}

async function saveEditor() {
  const note = $("f-message");
  const body = {
    question: $("f-question").value,
    answer: $("f-answer").value,
    tags: $("f-tags").value.split(/[;,、；，]/).map((s) => s.trim()).filter(Boolean),
    review_interval_days: Number($("f-days").value),
  };
  const verifier = $("verifier").value.trim();
  localStorage.setItem(STORED_VERIFIER, verifier);
  let entry;
  if (editing) {
    const before = editing.version;
    entry = await api("POST", `/api/console/faq/${editing.id}`, body);
    if ($("f-publish").checked && entry.status !== "published") {
      await api("POST", `/api/console/faq/${entry.id}/status`, { status: "published" });
      entry = await api("POST", `/api/console/faq/${entry.id}/verify`, verifier ? { verified_by: verifier } : {});
    }
    tell(note, entry.version === before ? t("unchanged") : t("savedEdit", entry.id));
  } else {
    entry = await api("POST", "/api/console/faq", { ...body, source_thread: source, publish: $("f-publish").checked, verified_by: verifier || null });
    tell(note, t("savedNew", entry.id, t(entry.status)));
  }
  editing = entry;
  $("editor-h").textContent = t("editorEdit", entry.id);
  $("f-publish-row").hidden = entry.status === "published";
  $("f-publish").checked = false;
  renderPreview();
  await Promise.all([loadFaq(), loadInsights()]);
}

// --- FAQ list and history -------------------------------------------------------------------------

function faqActions(entry) {
  const note = message();
  const buttons = [];
  const act = (label, work, secondary = false) => buttons.push(el("button", {
    type: "button", class: secondary ? "secondary" : null, "aria-label": t("actionLabel", label, entry.id),
    onclick: (e) => run(async () => { e.target.disabled = true; try { await work(); } finally { e.target.disabled = false; } }, note),
  }, label));
  const after = async () => { tell(note, t("saved")); await Promise.all([loadFaq(note), loadInsights()]); };
  const setStatus = (status) => async () => { await api("POST", `/api/console/faq/${entry.id}/status`, { status }); await after(); };
  act(t("edit"), async () => openEditor(await api("GET", `/api/console/faq/${entry.id}`)));
  if (entry.status !== "published") act(t("publish"), setStatus("published"));
  if (entry.status !== "retired") act(t("verify"), async () => {
    const name = $("verifier").value.trim();
    await api("POST", `/api/console/faq/${entry.id}/verify`, name ? { verified_by: name } : {});
    await after();
  });
  if (entry.status === "published") act(t("retire"), async () => {
    if (!window.confirm(t("retireConfirm", entry.id))) return;
    await setStatus("retired")();
  }, true);
  if (entry.status !== "draft") act(t("toDraft"), setStatus("draft"), true);
  act(t("history"), () => showHistory(entry.id), true);
  if (entry.source_thread) act(t("openThread"), async () => openThread(entry.source_thread), true);
  return [...buttons, note];
}

// Keep the message of the row whose button was pressed across the reload of the list.
async function loadFaq(keep = null) {
  const box = $("faq-body");
  const params = new URLSearchParams();
  if ($("faq-status").value) params.set("status", $("faq-status").value);
  if ($("faq-due").checked) params.set("due", "1");
  const data = await api("GET", `/api/console/faq?${params}`);
  const kept = keep ? { text: keep.textContent, cls: keep.className, row: keep.closest("tr")?.dataset.id } : null;
  box.textContent = "";
  if (!data.entries.length) { box.append(el("p", { class: "none" }, t("noFaq"))); return; }
  const rows = data.entries.map((e) => {
    const row = el("tr", { "data-id": String(e.id) },
      cell(t("id"), null, String(e.id)),
      cell(t("question"), "question", firstLine(e.question, 120)),
      cell(t("status"), null, el("span", { class: `badge ${e.status}` }, t(e.status))),
      cell(t("tags"), null, e.tags.join(t("listSep")) || "—"),
      cell(t("verified"), null, e.verified_at ? fmtDate(e.verified_at) + (e.verified_by ? t("by", e.verified_by) : "") : t("notVerified")),
      cell(t("review"), null, e.review_due ? el("span", { class: "badge due" }, t("due")) : (e.review_at ? fmtDate(e.review_at) : "—")),
      cell(t("actions"), "actions-cell", ...faqActions(e)));
    if (kept && kept.row === String(e.id)) { const note = row.querySelector(".message"); note.textContent = kept.text; note.className = kept.cls; }
    return row;
  });
  box.append(table(t("total", data.entries.length), [t("id"), t("question"), t("status"), t("tags"), t("verified"), t("review"), t("actions")], rows, "cards"));
}

// A character-level difference (longest common subsequence), as <del>/<ins>; whole texts past a size.
function diff(before, after) {
  const a = Array.from(before || ""), b = Array.from(after || "");
  if (a.length * b.length > 2000000) return [el("del", {}, before), el("ins", {}, after)];
  const n = a.length, m = b.length;
  const L = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i][j] = a[i] === b[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  const out = []; let i = 0, j = 0; let run = { kind: "", text: "" };
  const push = (kind, ch) => { if (run.kind === kind) run.text += ch; else { if (run.text) out.push(run); run = { kind, text: ch }; } };
  while (i < n && j < m) {
    if (a[i] === b[j]) { push("same", a[i]); i++; j++; }
    else if (L[i + 1][j] >= L[i][j + 1]) { push("del", a[i]); i++; }
    else { push("ins", b[j]); j++; }
  }
  while (i < n) push("del", a[i++]);
  while (j < m) push("ins", b[j++]);
  if (run.text) out.push(run);
  return out.map((r) => (r.kind === "same" ? document.createTextNode(r.text) : el(r.kind, {}, r.text)));
}

function changes(prev, v) {
  if (!prev) return [el("div", { class: "diff" }, el("span", { class: "field" }, t("field").question), el("div", {}, v.question)),
    el("div", { class: "diff" }, el("span", { class: "field" }, t("field").answer), el("div", {}, excerpt(v.answer, 300)))];
  const out = [];
  for (const name of ["question", "answer"]) {
    if (prev[name] !== v[name]) out.push(el("div", { class: "diff" }, el("span", { class: "field" }, t("field")[name]), el("div", {}, ...diff(prev[name], v[name]))));
  }
  const tagsBefore = prev.tags.join("; "), tagsAfter = v.tags.join("; ");
  if (tagsBefore !== tagsAfter) out.push(el("div", { class: "diff" }, el("span", { class: "field" }, t("field").tags), el("div", {}, el("del", {}, tagsBefore || "—"), " → ", el("ins", {}, tagsAfter || "—"))));
  if (prev.status !== v.status) out.push(el("div", { class: "diff" }, el("span", { class: "field" }, t("field").status), el("div", {}, `${t(prev.status)} → ${t(v.status)}`)));
  return out;
}

// Who made a change: a member by name, else the console or the command line.
function editorName(v) {
  if (v.editor_name === "console") return t("viaConsole");
  if (v.editor_name === "command line") return t("viaCli");
  return v.editor_name || v.editor;
}

async function showHistory(id) {
  const box = $("faq-detail");
  const data = await api("GET", `/api/console/faq/${id}`);
  box.textContent = "";
  box.append(el("h3", {}, t("historyTitle", id)), el("p", { class: "question" }, data.question));
  const items = data.history.map((v, i) => el("li", {},
    el("div", { class: "meta" }, `${t("version", v.version)}・${fmtTime(v.created_at)}・${change(v.change)}${v.editor ? t("by", editorName(v)) : t("hidden")}`),
    ...changes(i ? data.history[i - 1] : null, v)));
  box.append(el("ol", { class: "history" }, ...items.reverse()),
    el("button", { type: "button", class: "secondary", onclick: () => { box.hidden = true; } }, t("close")));
  show(box);
}

// --- insights and counts --------------------------------------------------------------------------

function list(items, render) {
  return items.length ? el("ul", { class: "plain" }, ...items.map((i) => el("li", {}, ...render(i)))) : el("p", { class: "none" }, t("none"));
}
const linkButton = (label, work) => el("button", { type: "button", class: "link", onclick: () => run(work) }, label);
const writeFaqFor = (question) => linkButton(t("writeFaq"), async () => openEditor({ question, answer: "" }));

async function loadCounts() {
  const box = $("counts-body");
  const data = await api("GET", "/api/console/stats");
  const meaning = data.meaning[LANG] || data.meaning.ja;
  box.textContent = "";
  const keys = ["threads", "indexed", "faq_published", "questions", "answered", "people", "pending"];
  box.append(el("h3", {}, t("counts")), el("dl", { class: "counts" }, ...keys.flatMap((k) => [el("dt", {}, String(data.stats[k])), el("dd", {}, `${k} — ${meaning[k]}`)])));
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
    figure(t("gaps"), data.gaps.groups ? data.gaps.groups.length : data.gaps.total),
    figure(t("helpfulness"), h.rate === null ? "—" : `${Math.round(h.rate * 100)}%`, t("rateDetail", h)),
    figure(t("reviewDue"), data.faq_review_due.length)));
  const key = (u) => `${u.platform}:${u.channel_id}:${u.root_message_id}`;
  box.append(el("h3", {}, t("unanswered")), list(data.unanswered.latest, (u) => [
    `${fmtDate(u.asked_at)} ${where(u.platform, u.channel_id, u.channel_name)} `,
    linkButton(u.title, async () => openThread(key(u))), " ", writeFaqFor(u.title)]));
  box.append(el("h3", {}, t("repeated")), list(data.repeated, (r) => [
    `${t("times", r.count)} ${r.title}${t("paren", t("latest", fmtDate(r.latest)))} `,
    r.thread ? linkButton(t("openThread"), async () => openThread(r.thread)) : null, " ", writeFaqFor(r.title)]));
  const groups = data.gaps.groups || data.gaps.latest.map((g) => ({ question: g.question, count: 1, latest: g.asked_at, examples: [g.question] }));
  box.append(el("h3", {}, t("gaps")), list(groups, (g) => [
    el("strong", {}, t("times", g.count)), ` ${firstLine(g.question)} `, el("span", { class: "meta" }, t("paren", t("latest", fmtDate(g.latest)))), " ", writeFaqFor(g.question),
    g.examples.length > 1 ? el("div", { class: "meta" }, t("sameQuestion"), " ", g.examples.map((x) => `「${firstLine(x, 50)}」`).join(t("listSep"))) : null]));
  if (data.gaps.off_topic) box.append(el("p", { class: "meta" }, t("offTopic", data.gaps.off_topic)));
  box.append(el("h3", {}, t("reviewDue")), list(data.faq_review_due, (e) => [
    linkButton(`FAQ ${e.id} ${e.title}`, async () => openEditor(await api("GET", `/api/console/faq/${e.id}`))), t("paren", fmtDate(e.review_at))]));
}

// --- start ----------------------------------------------------------------------------------------

async function start() {
  const session = await api("GET", "/api/console/session");
  $("login").hidden = true; $("app").hidden = false; $("nav").hidden = false;
  $("logout").hidden = !session.token_required;
  say(t("loading"));
  await Promise.all([loadReview(), loadFaq(), loadInsights(), loadCounts()]);
  say("");
  // #faq-new etc. in the address opens that part of the page.
  if (location.hash === "#faq-new") openEditor();
}

$("lang").value = LANG;
$("lang").addEventListener("change", (e) => { localStorage.setItem(LANG_KEY, e.target.value); location.reload(); });
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
$("faq-filter").addEventListener("change", () => run(loadFaq));
$("faq-filter").addEventListener("submit", (e) => e.preventDefault());
$("faq-new").addEventListener("click", () => openEditor());
$("faq-form").addEventListener("submit", (e) => { e.preventDefault(); run(saveEditor, $("f-message")); });
$("faq-form").addEventListener("input", renderPreview);
$("f-cancel").addEventListener("click", () => { $("faq-editor").hidden = true; });
$("insights-filter").addEventListener("change", () => run(loadInsights));
$("verifier").value = localStorage.getItem(STORED_VERIFIER) || "";
run(start);
