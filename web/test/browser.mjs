// What the browser tests' drivers share: Debian's chromium launched headless the way
// this machine allows (no sandbox as root, no background networking, which the closed
// network here refuses), and a record of what went wrong on the page.
import path from "node:path";
import puppeteer from "puppeteer-core";

// Chromium at `executable`, with its profile under `dir`; `extraArgs` for a page's needs.
export function launchChromium(executable, dir, extraArgs = []) {
  return puppeteer.launch({
    executablePath: executable,
    headless: true,
    userDataDir: path.join(dir, "chromium-profile"),
    args: [
      "--no-sandbox", // tests run as root in containers; the page is our own
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...extraArgs,
    ],
  });
}

// Records the page's errors into result.consoleErrors (script errors and console.error
// lines) and result.httpErrors ({method, url, status}; status 0 for a failed request). Console
// lines "Failed to load resource" are left out: every HTTP error is in httpErrors, with
// its URL, so a test can tell an answer the page expects from a real fault.
export function recordErrors(page, result) {
  result.consoleErrors ??= [];
  result.httpErrors ??= [];
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      result.consoleErrors.push(m.text());
    }
  });
  page.on("response", (r) => {
    if (r.status() >= 400) {
      result.httpErrors.push({ method: r.request().method(), url: new URL(r.url()).pathname, status: r.status() });
    }
  });
  page.on("requestfailed", (r) => {
    result.httpErrors.push({
      method: r.method(),
      url: new URL(r.url()).pathname,
      status: 0,
      error: r.failure()?.errorText,
    });
  });
  page.on("pageerror", (e) => result.consoleErrors.push(String(e)));
}
