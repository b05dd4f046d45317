// The demo page: send the code to /api/document and show each item's docs side by side.
"use strict";

const form = document.getElementById("input");
const code = document.getElementById("code");
const picker = document.getElementById("file");
const statusLine = document.getElementById("status");
const results = document.getElementById("results");

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard permission (e.g. a headless browser): select the text so Ctrl+C copies it.
    const area = element("textarea");
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  button.textContent = "copied";
  setTimeout(() => { button.textContent = "copy as ///"; }, 1500);
}

function findingsList(findings) {
  const list = element("ul", { class: "findings" });
  if (findings.length === 0) {
    list.append(element("li", { class: "clean" }, "no findings"));
  }
  for (const finding of findings) {
    list.append(element("li", { class: finding.severity }, `${finding.severity} ${finding.code}: ${finding.message}`));
  }
  return list;
}

function docColumn(name, doc) {
  const column = element("div", { class: "doc", "data-generator": name });
  const title = element("h3", {}, element("span", {}, name + (doc.origin && doc.origin !== name ? ` (${doc.origin})` : "")));
  column.append(title);
  if (doc.error) {
    column.append(element("pre", { class: "error" }, doc.error));
    return column;
  }
  const copy = element("button", { type: "button", class: "copy" }, "copy as ///");
  copy.addEventListener("click", () => copyText(doc.comment, copy));
  title.append(copy);
  column.append(element("pre", { class: "comment" }, doc.comment), findingsList(doc.findings));
  return column;
}

function show(answer) {
  results.replaceChildren();
  if (answer.items.length === 0) {
    results.append(element("p", { class: "empty" }, "No undocumented items that want a doc (pub items, unless \"private items too\")."));
    return;
  }
  for (const item of answer.items) {
    const docs = element("div", { class: "docs" });
    for (const name of answer.generators) docs.append(docColumn(name, item.docs[name]));
    results.append(element("article", { class: "item", "data-label": item.label },
      element("h2", {}, `${item.label} `, element("small", {}, `line ${item.line}`)),
      element("p", { class: "signature" }, item.signature),
      docs));
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  statusLine.textContent = "documenting…";
  try {
    const response = await fetch("/api/document", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code: code.value, includePrivate: document.getElementById("include-private").checked }),
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error || response.statusText);
    show(answer);
    statusLine.textContent = `${answer.items.length} item${answer.items.length === 1 ? "" : "s"}`;
  } catch (error) {
    statusLine.textContent = `error: ${error.message}`;
  }
});

if (picker) {
  picker.addEventListener("change", async () => {
    if (!picker.value) return;
    const response = await fetch(`/api/file?path=${encodeURIComponent(picker.value)}`);
    const answer = await response.json();
    if (response.ok) {
      code.value = answer.code;
      form.requestSubmit();
    } else {
      statusLine.textContent = `error: ${answer.error}`;
    }
  });
}
