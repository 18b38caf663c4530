// The publisher's page of the p2pls portal: sign in with the API key, upload files
// (streamed by the browser as the body of a PUT), list them with where their slices
// live, mint download links and delete files. It speaks only the portal's JSON API
// (portal/README.md) from the same origin; the key is sent as a Bearer header, never
// as a cookie, so no other site can make the browser act for the publisher, and it is
// kept in this tab's sessionStorage only. Every name from the server is shown as text,
// never parsed as HTML.

const $ = (id) => document.getElementById(id);
const KEY_ITEM = "p2pls-portal-key";
let key = sessionStorage.getItem(KEY_ITEM) || "";

function humanBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

// The portal's names: letters, digits, '.', '_', '-', not starting with '.', at most 200.
function fileNameFor(chosen) {
  return chosen.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "").slice(0, 200);
}

// The portal's error body is {"error": code, "detail": text}; anything else is shown as is.
async function errorText(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    return body.detail || body.error || text;
  } catch {
    return text || `HTTP ${response.status}`;
  }
}

function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${key}`, ...(options.headers || {}) };
  return fetch(path, { ...options, headers, cache: "no-store" });
}

function showSignedIn(on) {
  $("signin").hidden = on;
  $("workspace").hidden = !on;
}

function slicesOn(file) {
  const count = new Map();
  for (const slice of file.slices) {
    for (const zone of slice.zones) count.set(zone, (count.get(zone) || 0) + 1);
  }
  return [...count].map(([zone, n]) => `${zone} (${n}/${file.slices.length})`).join(", ");
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function button(label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

function render(files) {
  const body = $("files").querySelector("tbody");
  body.replaceChildren();
  $("no-files").hidden = files.length > 0;
  for (const file of files) {
    const row = document.createElement("tr");
    row.dataset.name = file.name;
    const sha = cell(file.sha256.slice(0, 16) + "…", "sha");
    sha.title = file.sha256;
    const actions = document.createElement("td");
    actions.className = "actions";
    actions.append(
      button("Get link", () => makeLink(file.name, row)),
      " ",
      button("Delete", () => remove(file.name)),
    );
    row.append(cell(file.name, "name"), cell(humanBytes(file.size)), sha, cell(slicesOn(file)), actions);
    body.append(row);
  }
}

async function refresh() {
  const response = await api("/v1/files");
  if (response.status === 401) {
    signOut("That key is not a publisher's key.");
    return false;
  }
  if (!response.ok) {
    $("files-error").textContent = `Could not list your files: ${await errorText(response)}`;
    return true;
  }
  $("files-error").textContent = "";
  render((await response.json()).files);
  return true;
}

async function signIn(event) {
  event.preventDefault();
  key = $("key").value.trim();
  $("signin-error").textContent = "";
  if (await refresh()) {
    sessionStorage.setItem(KEY_ITEM, key);
    $("key").value = "";
    showSignedIn(true);
  }
}

function signOut(why = "") {
  key = "";
  sessionStorage.removeItem(KEY_ITEM);
  showSignedIn(false);
  $("signin-error").textContent = why;
}

function linkRow(url, metalink, expires) {
  const row = document.createElement("tr");
  row.className = "link";
  const td = document.createElement("td");
  td.colSpan = 5;
  const field = (label, value, name) => {
    const wrap = document.createElement("label");
    wrap.textContent = label;
    const input = document.createElement("input");
    input.readOnly = true;
    input.value = value;
    input.name = name;
    input.addEventListener("focus", () => input.select());
    wrap.append(input);
    return wrap;
  };
  const until = document.createElement("div");
  until.textContent = `Valid until ${new Date(expires * 1000).toLocaleString()}`;
  td.append(field("Download link", url, "url"), field("Metalink (aria2)", metalink, "metalink"), until);
  row.append(td);
  return row;
}

async function makeLink(name, row) {
  const hours = Math.max(1, Number($("link-hours").value) || 24);
  const response = await api(`/v1/files/${encodeURIComponent(name)}/links`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ttl_s: Math.round(hours * 3600) }),
  });
  if (!response.ok) {
    $("files-error").textContent = `No link for ${name}: ${await errorText(response)}`;
    return;
  }
  const link = await response.json();
  if (row.nextElementSibling?.classList.contains("link")) row.nextElementSibling.remove();
  row.after(linkRow(link.url, link.metalink, link.expires_unix_s));
}

async function remove(name) {
  if (!confirm(`Delete ${name}? Its links stop working.`)) return;
  const response = await api(`/v1/files/${encodeURIComponent(name)}`, { method: "DELETE" });
  // The answer is read to its (empty) end either way: a body left unread is cancelled,
  // which the browser reports as an aborted request.
  const text = await errorText(response);
  if (!response.ok && response.status !== 404) {
    $("files-error").textContent = `Could not delete ${name}: ${text}`;
  }
  await refresh();
}

// XMLHttpRequest rather than fetch: it reports the upload's progress. The browser reads
// the file from disk as it sends, so a large file is not held in the page's memory.
function upload(event) {
  event.preventDefault();
  const file = $("file").files[0];
  const name = $("name").value;
  if (!file) return;
  const status = $("upload-status");
  const progress = $("upload-progress");
  const submit = $("upload");
  const xhr = new XMLHttpRequest();
  xhr.open("PUT", `/v1/files/${encodeURIComponent(name)}`);
  xhr.setRequestHeader("Authorization", `Bearer ${key}`);
  xhr.setRequestHeader("X-Replication", String($("replication").value));
  xhr.upload.addEventListener("progress", (e) => {
    if (!e.lengthComputable) return;
    progress.value = e.loaded / e.total;
    status.textContent = `${humanBytes(e.loaded)} of ${humanBytes(e.total)}`;
  });
  const done = async (text) => {
    submit.disabled = false;
    progress.hidden = true;
    status.textContent = text;
    await refresh();
  };
  xhr.addEventListener("load", () => {
    if (xhr.status === 201) {
      const stored = JSON.parse(xhr.responseText);
      const n = stored.slices.length;
      done(`Stored ${stored.name}: ${humanBytes(stored.size)} in ${n} slice${n === 1 ? "" : "s"}.`);
      $("upload-form").reset();
      return;
    }
    let detail = xhr.responseText;
    try {
      detail = JSON.parse(xhr.responseText).detail || detail;
    } catch {}
    done(`Not stored (HTTP ${xhr.status}): ${detail}`);
  });
  xhr.addEventListener("error", () => done("Not stored: the connection to the portal failed."));
  submit.disabled = true;
  progress.hidden = false;
  progress.value = 0;
  status.textContent = "Uploading…";
  xhr.send(file);
}

$("signin-form").addEventListener("submit", signIn);
$("signout").addEventListener("click", () => signOut());
$("upload-form").addEventListener("submit", upload);
$("file").addEventListener("change", () => {
  const file = $("file").files[0];
  if (file) $("name").value = fileNameFor(file.name);
});

if (key) {
  refresh().then((ok) => ok && showSignedIn(true));
}
