// The web chat. Everything from the server is inserted as text (never as HTML), and only http(s)
// links are made clickable, so chat content cannot run as code or open another scheme here.
"use strict";

// $ and el come from dom.js, loaded first.
const log = $("log");
const q = $("q");
// Dates as Japanese offices write them: 2026/12/3.
const fmtDate = (iso) => {
  const d = new Date(iso);
  return iso && !isNaN(d) ? `${d.getFullYear()}/${d.getMonth() + 1}/${d.getDate()}` : "";
};
const safeUrl = (url) => {
  if (typeof url !== "string" || !/^https?:\/{2}/i.test(url)) return null;
  try { const u = new URL(url); return u.protocol === "http:" || u.protocol === "https:" ? u.href : null; } catch { return null; }
};
const outLink = (url, label) => {
  const href = safeUrl(url);
  return href ? el("a", { class: "out", href, target: "_blank", rel: "noopener noreferrer" }, label) : null;
};
const person = (name, org) => (name ? (org ? `${name}（${org}）` : name) : "（名前の表示を控えている方）");
const EMOJI = { "+1": "👍", thumbsup: "👍", white_check_mark: "✅", heavy_check_mark: "✔️", pray: "🙏", eyes: "👀", tada: "🎉", clap: "👏", bow: "🙇", ok_hand: "👌", raised_hands: "🙌", joy: "😂", smile: "😄", like: "👍", heart: "❤️" };
const reactionText = (name) => EMOJI[name] || `:${name}:`;
const PLATFORM = { slack: "Slack", teams: "Teams" };

// One random id per browser: a second press replaces the first, as in chat.
const VISITOR_KEY = "yorozu.web.visitor";
function visitor() {
  let id = localStorage.getItem(VISITOR_KEY);
  if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    id = "v" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem(VISITOR_KEY, id);
  }
  return id;
}

async function call(method, path, body) {
  const options = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) { options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
  const r = await fetch(path, { ...options, credentials: "same-origin" });
  const data = await r.json().catch(() => ({ error: r.statusText }));
  // Outside local mode the web chat is for members: they log in on the console's page.
  if (r.status === 401) throw new Error("ログインが必要です。専門家コンソール（/console）で、管理者から受け取ったトークンでログインしてから、もう一度お試しください。");
  if (!r.ok) throw new Error(data.error || r.statusText);
  return data;
}

function turn(text) {
  const t = el("div", { class: "turn" }, el("div", { class: "you" }, text));
  const b = el("div", { class: "bot" }, "…");
  t.append(b);
  log.prepend(t);
  return b;
}

// --- a whole thread, or a whole FAQ entry, inside the page ---------------------------------------

function postView(p, isQuestion) {
  const who = el("div", { class: "who" }, person(p.author, p.organization),
    el("span", { class: "meta" }, `　${fmtDate(p.posted_at)}${p.edited ? "（編集済み）" : ""}`));
  if (p.accepted) who.append(" ", el("span", { class: "badge" }, "解決した回答"));
  if (isQuestion) who.prepend(el("span", { class: "badge" }, "質問"));
  const reacts = p.reactions.length
    ? el("div", { class: "reactions", "aria-label": "リアクション" }, ...p.reactions.map((r) => el("span", {}, `${reactionText(r.name)} ${r.count}`)))
    : null;
  return el("div", { class: "post" + (p.accepted ? " accepted" : "") }, who, el("div", { class: "body" }, p.text), reacts);
}

async function toggleFull(box, button, load) {
  if (box.dataset.open === "1") { box.hidden = true; box.dataset.open = "0"; button.setAttribute("aria-expanded", "false"); return; }
  box.hidden = false; box.dataset.open = "1"; button.setAttribute("aria-expanded", "true");
  if (box.dataset.loaded === "1") return;
  box.textContent = "読み込み中…";
  try {
    const content = await load();
    box.textContent = "";
    box.append(...content);
    box.dataset.loaded = "1";
  } catch (err) {
    box.textContent = "";
    box.append(el("p", { class: "error" }, `スレッドを開けませんでした：${err.message}`));
  }
}

async function threadContent(key) {
  const t = await call("GET", `/api/thread?key=${encodeURIComponent(key)}`);
  const where = t.channel_name ? `#${t.channel_name}` : (PLATFORM[t.platform] || t.platform);
  const head = el("div", { class: "meta" }, `${where}・${PLATFORM[t.platform] || t.platform}・返信 ${t.replies.length} 件`);
  const link = outLink(t.url, "元のスレッドを開く");
  return [head, postView(t.question, true), ...t.replies.map((r) => postView(r, false)), link ? el("div", {}, link) : null].filter(Boolean);
}

async function faqContent(id) {
  const f = await call("GET", `/api/faq/${encodeURIComponent(id)}`);
  const parts = [
    el("div", { class: "post" }, el("div", { class: "who" }, el("span", { class: "badge" }, "質問")), el("div", { class: "body" }, f.question)),
    el("div", { class: "post accepted" }, el("div", { class: "who" }, el("span", { class: "badge faq" }, "FAQ の回答")), el("div", { class: "body" }, f.answer)),
  ];
  if (f.tags.length) parts.push(el("div", { class: "meta" }, `タグ：${f.tags.join("、")}`));
  if (f.source_thread) {
    const box = el("div", { class: "full", hidden: true });
    const button = el("button", { type: "button", class: "link", "aria-expanded": "false" }, "元になったスレッドを読む");
    button.addEventListener("click", () => toggleFull(box, button, () => threadContent(f.source_thread)));
    parts.push(el("div", {}, button), box);
  }
  return parts;
}

// --- answers --------------------------------------------------------------------------------------

function faqLine(s) {
  if (s.verified_at) {
    return s.verified_by ? `FAQ・確認者 ${s.verified_by}（${fmtDate(s.verified_at)}）` : `FAQ・確認済み（${fmtDate(s.verified_at)}）`;
  }
  return "FAQ・未確認";
}

function suggestionCard(s, data) {
  const isFaq = s.kind === "faq";
  const card = el("article", { class: "card" + (isFaq ? " faq" : "") });
  const full = el("div", { class: "full", hidden: true });
  const title = el("button", { type: "button", class: "title", "aria-expanded": "false", title: "全文をこのページで読む" }, s.title);
  title.addEventListener("click", () => toggleFull(full, title, () => (isFaq ? faqContent(s.faq_id) : threadContent(s.thread_id))));
  const h = el("h3", {});
  if (isFaq) h.append(el("span", { class: "badge faq" }, "FAQ"));
  else if (s.accepted) h.append(el("span", { class: "badge" }, "解決済み"));
  // How sure Yorozu is (when its confidence is calibrated): the same question, or a related thread.
  if (s.confidence !== null && s.confidence !== undefined) {
    h.append(el("span", { class: "badge " + (s.close_match ? "same" : "related") }, s.close_match ? "同じ内容のようです" : "関連しそうなスレッド"));
  }
  h.append(title);
  card.append(h, el("p", { class: "excerpt" }, s.answer_excerpt));
  if (isFaq) {
    card.append(el("div", { class: "meta verifier" }, faqLine(s)));
    if (s.review_due) card.append(el("div", { class: "meta warn" }, "⚠ 見直しの時期を過ぎています"));
  } else {
    const who = s.answerers.map((a) => person(a.name, a.organization)).join("、");
    const when = fmtDate(s.answered_at || s.asked_at);
    card.append(el("div", { class: "meta" }, `回答：${who || "—"}${when ? `　・　${when}` : ""}`));
  }
  const note = el("span", { class: "note", role: "status" });
  const read = el("button", { type: "button", class: "small secondary" }, "全文を読む");
  read.addEventListener("click", () => toggleFull(full, title, () => (isFaq ? faqContent(s.faq_id) : threadContent(s.thread_id))));
  const press = (verdict, button) => async () => {
    button.disabled = true;
    try {
      await call("POST", "/api/feedback", { verdict, visitor: visitor(), question_id: data.question_id, question: data.question, suggested_thread: s.thread_id });
      note.className = "note";
      note.textContent = verdict === "solved" ? "「解決した」と記録しました。ありがとうございます！" : "「役に立たなかった」と記録しました。専門家が確認します。";
    } catch (err) {
      note.className = "note error";
      note.textContent = `記録できませんでした：${err.message}`;
    } finally { button.disabled = false; }
  };
  const solved = el("button", { type: "button", class: "small" }, "解決した");
  solved.addEventListener("click", press("solved", solved));
  const unhelpful = el("button", { type: "button", class: "small secondary" }, "役に立たなかった");
  unhelpful.addEventListener("click", press("unhelpful", unhelpful));
  const open = outLink(s.url, "元のスレッドを開く");
  card.append(el("div", { class: "actions" }, read, solved, unhelpful, open, note), full);
  return card;
}

// 専門家に聞く: the question goes to the specialists' channel (Slack or Teams, whichever is set up), once
// per question however often it is pressed; the people who answered similar questions are listed below.
function askExpertButton(data) {
  const box = el("div", { class: "ask-expert" });
  const button = el("button", { type: "button", class: "small secondary" }, "専門家に聞く");
  button.addEventListener("click", async () => {
    button.disabled = true;
    box.textContent = "…";
    try {
      const r = await call("POST", "/api/ask-expert", { question: data.question, question_id: data.question_id, visitor: visitor() });
      const people = el("div", {});
      renderExperts(people, r, true);
      box.textContent = "";
      box.append(el("p", { class: "note" + (r.sent_to.length ? " sent" : ""), role: "status" }, r.message), people);
    } catch (err) { box.textContent = ""; box.append(el("p", { class: "error" }, `エラー：${err.message}`)); }
    finally { button.disabled = false; }
  });
  return [el("div", { class: "actions" }, button), box];
}

function renderAnswer(box, data) {
  box.textContent = "";
  if (data.abstained || !data.suggestions.length) {
    box.append(el("p", { class: "none" }, "よく合う過去のスレッドは見つかりませんでした。チャンネルで質問するか、専門家に聞いてみてください。"));
  } else {
    for (const s of data.suggestions) box.append(suggestionCard(s, data));
  }
  box.append(...askExpertButton(data));
}

function renderExperts(box, data, fromQuestion = false) {
  box.textContent = "";
  if (!data.experts.length) {
    box.append(el("p", { class: "none" }, fromQuestion ? "この質問に近いテーマに答えた人はまだ見つかりません。チャンネルで質問してみてください。" : `「${data.topic}」に答えた人はまだ見つかりません。`));
    return;
  }
  box.append(el("p", { class: "meta" }, fromQuestion ? "この質問に近いテーマに答えたことのある人です。直接聞いてみてください：" : `「${data.topic}」について答えたことのある人：`));
  for (const e of data.experts) {
    const card = el("article", { class: "card expert" });
    card.append(el("h3", {}, person(e.name, e.organization)));
    card.append(el("div", { class: "meta" }, `このテーマで${e.answers}件回答${e.accepted ? `（うち解決${e.accepted}件）` : ""}、最新 ${fmtDate(e.latest)}`));
    if (e.evidence.length) {
      const items = e.evidence.map((t) => {
        const full = el("div", { class: "full", hidden: true });
        const b = el("button", { type: "button", class: "link", "aria-expanded": "false" }, t.title);
        b.addEventListener("click", () => toggleFull(full, b, () => threadContent(t.key)));
        return el("li", {}, b, t.accepted ? el("span", { class: "badge" }, "解決した回答") : null, full);
      });
      card.append(el("div", { class: "meta" }, "答えたスレッド："), el("ul", { class: "evidence" }, ...items));
    }
    const contact = outLink(e.contact_url, `${PLATFORM[e.platform] || e.platform} で連絡する`);
    card.append(el("div", { class: "actions" }, contact || el("span", { class: "meta" }, `${PLATFORM[e.platform] || e.platform} のチャンネルで名前を挙げて聞いてください`)));
    box.append(card);
  }
}

async function run(kind) {
  const text = q.value.trim();
  if (!text) { q.focus(); return; }
  const box = turn(kind === "who" ? `詳しい人：${text}` : text);
  try {
    if (kind === "who") { renderExperts(box, await call("POST", "/api/who", { topic: text })); return; }
    const data = await call("POST", "/api/ask", { question: text });
    if (data.kind === "who") renderExperts(box, data);
    else if (data.kind === "help") { box.textContent = ""; box.append(el("div", { class: "help" }, data.text)); }
    else renderAnswer(box, data);
  } catch (err) { box.textContent = ""; box.append(el("p", { class: "error" }, `エラー：${err.message}`)); }
}

$("ask").addEventListener("submit", (e) => { e.preventDefault(); run("ask"); });
$("who").addEventListener("click", () => run("who"));
q.addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run("ask"); } });
document.querySelectorAll(".examples button").forEach((b) => b.addEventListener("click", () => { q.value = b.dataset.q; run("ask"); }));
// ?q=... asks at once, so a question can be bookmarked or shared as a link.
const initial = new URLSearchParams(location.search).get("q");
if (initial) { q.value = initial; run("ask"); }
