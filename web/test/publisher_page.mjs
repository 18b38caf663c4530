// Drives a real headless Chromium (puppeteer-core, Debian's chromium) through the
// portal's publisher page as a publisher would, and prints what the page showed as one
// JSON line on stdout. Called by tests/integration/portal/publisher_page_test.cpp,
// which starts the platform, asserts on the line and checks the portal's side.
//
//   node publisher_page.mjs --url http://127.0.0.1:PORT/ --chromium /usr/bin/chromium \
//        --out DIR --key KEY --wrong-key KEY2 --other-key KEY3 --file F --doomed G
//
// Steps: a wrong key is refused; the right key signs in; F is uploaded through the
// file chooser, listed, and given a link; G is uploaded and deleted; the publisher
// signs out and the other publisher (KEY3) signs in and sees none of these files.
import path from "node:path";
import process from "node:process";
import { launchChromium, recordErrors } from "./browser.mjs";

function args() {
  const out = {};
  const names = {
    "--url": "url", "--chromium": "chromium", "--out": "dir", "--key": "key",
    "--wrong-key": "wrongKey", "--other-key": "otherKey", "--file": "file", "--doomed": "doomed",
  };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const name = names[argv[i]];
    if (!name) throw new Error(`unknown flag ${argv[i]}`);
    out[name] = argv[i + 1];
  }
  for (const name of Object.values(names)) {
    if (!out[name]) throw new Error(`need every flag: ${Object.keys(names).join(" ")}`);
  }
  return out;
}

const opts = args();
const result = { phase: "launch", consoleErrors: [], httpErrors: [] };

// The names in the files table, in order.
const listed = (page) =>
  page.$$eval("#files tbody tr", (rows) => rows.map((r) => r.dataset.name));

async function signIn(page, key) {
  await page.$eval("#key", (input) => (input.value = ""));
  await page.type("#key", key);
  await page.click("#signin-form button[type=submit]");
}

async function uploadThroughChooser(page, file) {
  const chooser = await page.$("#file");
  await chooser.uploadFile(file);
  await page.waitForFunction(() => document.getElementById("name").value !== "");
  await page.click("#upload");
  await page.waitForFunction(
    () => /^(Stored|Not stored)/.test(document.getElementById("upload-status").textContent),
    { timeout: 60000 },
  );
  return page.$eval("#upload-status", (s) => s.textContent);
}

let browser;
try {
  browser = await launchChromium(opts.chromium, opts.dir);
  const page = await browser.newPage();
  recordErrors(page, result);
  page.on("dialog", (d) => d.accept()); // the Delete button asks first
  page.setDefaultTimeout(20000);

  result.phase = "load";
  const response = await page.goto(opts.url, { waitUntil: "load" });
  result.csp = response.headers()["content-security-policy"] || "";

  result.phase = "wrong key";
  await signIn(page, opts.wrongKey);
  await page.waitForFunction(() => document.getElementById("signin-error").textContent !== "");
  result.wrongKeyError = await page.$eval("#signin-error", (e) => e.textContent);
  result.wrongKeyWorkspaceHidden = await page.$eval("#workspace", (e) => e.hidden);

  result.phase = "sign in";
  await signIn(page, opts.key);
  await page.waitForFunction(() => !document.getElementById("workspace").hidden);
  result.listedAtStart = await listed(page);

  result.phase = "upload";
  result.uploadStatus = await uploadThroughChooser(page, opts.file);
  result.listedAfterUpload = await listed(page);
  const name = path.basename(opts.file);
  result.slicesOn = await page.$eval(
    `#files tbody tr[data-name="${name}"] td:nth-child(4)`, (td) => td.textContent);

  result.phase = "link";
  await page.$$eval(`#files tbody tr[data-name="${name}"] button`, (buttons) =>
    buttons.find((b) => b.textContent === "Get link").click());
  await page.waitForSelector("tr.link input[name=url]");
  result.link = await page.$eval("tr.link input[name=url]", (i) => i.value);
  result.metalink = await page.$eval("tr.link input[name=metalink]", (i) => i.value);

  result.phase = "delete";
  result.doomedStatus = await uploadThroughChooser(page, opts.doomed);
  result.listedWithDoomed = await listed(page);
  const doomed = path.basename(opts.doomed);
  await page.$$eval(`#files tbody tr[data-name="${doomed}"] button`, (buttons) =>
    buttons.find((b) => b.textContent === "Delete").click());
  await page.waitForFunction(
    (n) => !document.querySelector(`#files tbody tr[data-name="${n}"]`), {}, doomed);
  result.listedAfterDelete = await listed(page);

  result.phase = "other publisher";
  await page.click("#signout");
  await page.waitForFunction(() => !document.getElementById("signin").hidden);
  await signIn(page, opts.otherKey);
  await page.waitForFunction(() => !document.getElementById("workspace").hidden);
  result.listedForOther = await listed(page);
  result.noFilesShownForOther = await page.$eval("#no-files", (e) => !e.hidden);
  result.phase = "done";
} catch (e) {
  result.error = String(e?.stack || e);
} finally {
  await browser?.close();
}
process.stdout.write(JSON.stringify(result) + "\n");
process.exit(result.phase === "done" ? 0 : 1);
