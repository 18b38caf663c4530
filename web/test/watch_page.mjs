// Drives a real headless Chromium (puppeteer-core, Debian's chromium) through the p2pls
// web player page and prints what the viewer saw as one JSON line on stdout. Called by
// tests/media/player/web_player_test.cpp, which starts the swarm and asserts on the line.
//
//   node watch_page.mjs --url http://127.0.0.1:PORT/ --chromium /usr/bin/chromium \
//        --out DIR [--pause-pid PID] [--play-s 6]
//
// Phases: load the page and wait for the first frame; watch playback for --play-s; take
// a screenshot and measure the picture's contrast; then, with --pause-pid, SIGSTOP that
// process (the source) until the page shows the stall, SIGCONT it and wait for playback
// to move again.
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { launchChromium, recordErrors } from "./browser.mjs";

function args() {
  const out = { playS: 6 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (key === "--url") out.url = value;
    else if (key === "--chromium") out.chromium = value;
    else if (key === "--out") out.dir = value;
    else if (key === "--pause-pid") out.pausePid = Number(value);
    else if (key === "--play-s") out.playS = Number(value);
    else throw new Error(`unknown flag ${key}`);
  }
  if (!out.url || !out.chromium || !out.dir) throw new Error("need --url, --chromium and --out");
  return out;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls `probe(...probeArgs)` in the page until it returns a truthy value or `ms` pass;
// its last value.
async function waitFor(page, probe, ms, ...probeArgs) {
  const deadline = Date.now() + ms;
  let value;
  while (Date.now() < deadline) {
    value = await page.evaluate(probe, ...probeArgs);
    if (value) return value;
    await sleep(200);
  }
  return value;
}

const opts = args();
// httpErrors tells a 503 that the page is meant to retry (the playlist before the first
// chunk) from a real fault.
const result = { phase: "launch", consoleErrors: [], httpErrors: [] };
let browser;
try {
  browser = await launchChromium(opts.chromium, opts.dir, ["--autoplay-policy=no-user-gesture-required"]);
  const page = await browser.newPage();
  recordErrors(page, result);
  await page.setViewport({ width: 1100, height: 700 });

  result.phase = "load";
  const loadStart = Date.now();
  await page.goto(opts.url, { waitUntil: "load", timeout: 30000 });
  result.firstFrameMs = await waitFor(page, () => window.p2plsPage.firstFrameMs, 45000);
  result.firstFrameWallMs = Date.now() - loadStart;

  result.phase = "play";
  const t0 = await page.evaluate(() => document.getElementById("video").currentTime);
  await sleep(opts.playS * 1000);
  const t1 = await page.evaluate(() => document.getElementById("video").currentTime);
  result.advancedS = t1 - t0;
  result.latencyS = await page.evaluate(() => window.p2plsPage.latencyS);

  // The picture: grey-level contrast of the current frame, drawn into a canvas (a black
  // or frozen-blank video gives ~0; SMPTE bars give tens).
  result.contrast = await page.evaluate(() => {
    const v = document.getElementById("video");
    if (!v.videoWidth) return 0;
    const c = document.createElement("canvas");
    c.width = 160;
    c.height = 120;
    const ctx = c.getContext("2d");
    ctx.drawImage(v, 0, 0, c.width, c.height);
    const px = ctx.getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    let sq = 0;
    const n = px.length / 4;
    for (let i = 0; i < px.length; i += 4) {
      const y = 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
      sum += y;
      sq += y * y;
    }
    const mean = sum / n;
    return Math.sqrt(Math.max(0, sq / n - mean * mean));
  });
  result.videoSize = await page.evaluate(() => {
    const v = document.getElementById("video");
    return [v.videoWidth, v.videoHeight];
  });
  await page.screenshot({ path: path.join(opts.dir, "web-player.png") });
  result.panel = await page.evaluate(() => {
    const out = {};
    for (const dd of document.querySelectorAll("dd")) out[dd.id] = dd.textContent;
    return out;
  });
  result.stats = await page.evaluate(() => window.p2plsPage.stats);

  if (opts.pausePid) {
    result.phase = "stall";
    process.kill(opts.pausePid, "SIGSTOP");
    const stalledAt = Date.now();
    result.stalled = await waitFor(page, () => window.p2plsPage.state === "stalled", 40000);
    result.stallSeenMs = Date.now() - stalledAt;
    result.stateWhileStopped = await page.evaluate(() => document.getElementById("state").textContent);
    process.kill(opts.pausePid, "SIGCONT");

    result.phase = "resume";
    const resumedAt = Date.now();
    const before = await page.evaluate(() => document.getElementById("video").currentTime);
    result.resumed = await waitFor(
      page,
      (from) => document.getElementById("video").currentTime > from + 2,
      60000,
      before,
    );
    result.resumeMs = Date.now() - resumedAt;
    result.stateAfterResume = await page.evaluate(() => window.p2plsPage.state);
  }
  result.page = await page.evaluate(() => ({
    errors: window.p2plsPage.errors,
    recovered: window.p2plsPage.recovered,
    stalls: window.p2plsPage.stalls,
    state: window.p2plsPage.state,
  }));
  result.phase = "done";
} catch (e) {
  result.error = String(e && e.stack ? e.stack : e);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (opts.pausePid) {
    try {
      process.kill(opts.pausePid, "SIGCONT"); // never leave the source stopped
    } catch (_) {}
  }
}
fs.writeFileSync(path.join(opts.dir, "web-player.json"), JSON.stringify(result, null, 2));
process.stdout.write(JSON.stringify(result) + "\n");
process.exit(result.phase === "done" ? 0 : 1);
