// The p2pls web player: plays the channel's HLS window (/live.m3u8) with hls.js and shows
// what the swarm is doing from /stats, once a second. Everything comes from the player's
// own port. window.p2plsPage is what the browser test reads; it is also handy in devtools.
"use strict";

(() => {
  const pageStart = performance.now();
  const video = document.getElementById("video");
  const stateBadge = document.getElementById("state");
  const errorBox = document.getElementById("error");
  const chart = document.getElementById("chart");

  const page = {
    firstFrameMs: null, // page load to the first decoded frame
    errors: [],         // fatal errors hls.js could not recover from, newest last
    recovered: 0,       // fatal errors hls.js did recover from
    stalls: 0,          // times playback stopped for want of data after it had started
    latencyS: null,     // hls.js's estimate of how far the playhead is behind the live edge
    state: "connecting",
    stats: null,        // the last /stats answer
  };
  window.p2plsPage = page;

  function setState(state, text) {
    page.state = state;
    stateBadge.textContent = text;
    stateBadge.dataset.state = state;
  }

  function showError(text) {
    errorBox.hidden = false;
    errorBox.textContent = text;
  }

  // --- playback -------------------------------------------------------------------

  function markFirstFrame() {
    if (page.firstFrameMs === null) {
      page.firstFrameMs = performance.now() - pageStart;
      text("s-page-startup", seconds(page.firstFrameMs / 1000));
    }
  }

  if ("requestVideoFrameCallback" in HTMLVideoElement.prototype) {
    video.requestVideoFrameCallback(markFirstFrame);
  } else {
    video.addEventListener("playing", markFirstFrame, { once: true });
  }
  video.addEventListener("playing", () => setState("playing", "live"));
  video.addEventListener("waiting", () => {
    if (page.firstFrameMs !== null) {
      page.stalls += 1;
      setState("stalled", "waiting for chunks…");
    }
  });

  let hls = null;

  function startHls() {
    if (typeof Hls === "undefined" || !Hls.isSupported()) {
      // Safari plays HLS natively; anything else cannot play this page.
      if (video.canPlayType("application/vnd.apple.mpegurl")) {
        video.src = "/live.m3u8";
        return;
      }
      showError("this browser has neither Media Source Extensions nor native HLS");
      setState("error", "cannot play");
      return;
    }
    // A live window of a few chunks: start near the live edge, keep a short back buffer,
    // and retry the playlist quickly while the channel is starting (it answers 503).
    hls = new Hls({
      liveSyncDurationCount: 2,
      liveMaxLatencyDurationCount: 5,
      backBufferLength: 10,
      manifestLoadingMaxRetry: 60,
      manifestLoadingRetryDelay: 500,
      levelLoadingMaxRetry: 60,
      fragLoadingMaxRetry: 10,
    });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
        page.recovered += 1;
        setState("stalled", "reconnecting…");
        hls.startLoad();
      } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
        page.recovered += 1;
        hls.recoverMediaError();
      } else {
        page.errors.push(`${data.type}: ${data.details}`);
        showError(`playback failed: ${data.details}`);
        setState("error", "stopped");
        hls.destroy();
      }
    });
    hls.loadSource("/live.m3u8");
    hls.attachMedia(video);
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      video.play().catch(() => {}); // muted autoplay: allowed; a refusal leaves controls
    });
  }

  // --- the statistics panel -------------------------------------------------------

  function text(id, value) {
    document.getElementById(id).textContent = value;
  }
  function seconds(s) {
    return s === null || s === undefined || s < 0 ? "–" : `${s.toFixed(2)} s`;
  }
  function bytes(n) {
    const units = ["B", "KiB", "MiB", "GiB"];
    let u = 0;
    while (n >= 1024 && u < units.length - 1) {
      n /= 1024;
      u += 1;
    }
    return `${n.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
  }
  // protobuf's JSON mapping writes 64-bit integers as strings.
  const num = (v) => (v === undefined || v === null ? 0 : Number(v));

  const history = []; // {t, source, peers, decade, upload} cumulative bytes, one a second
  const seriesColors = {
    source: "#d9822b",
    peers: "#2b95d6",
    decade: "#0f9960",
    upload: "#8f398f",
  };

  function drawChart() {
    const ctx = chart.getContext("2d");
    ctx.clearRect(0, 0, chart.width, chart.height);
    if (history.length < 2) return;
    const rates = [];
    for (let i = 1; i < history.length; i += 1) {
      const dt = Math.max(history[i].t - history[i - 1].t, 1e-3);
      const r = {};
      for (const k of Object.keys(seriesColors)) r[k] = (history[i][k] - history[i - 1][k]) / dt;
      rates.push(r);
    }
    let max = 1;
    for (const r of rates) for (const k of Object.keys(seriesColors)) max = Math.max(max, r[k]);
    const step = chart.width / 59;
    for (const [k, color] of Object.entries(seriesColors)) {
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.beginPath();
      rates.forEach((r, i) => {
        const x = chart.width - (rates.length - 1 - i) * step;
        const y = chart.height - 2 - (r[k] / max) * (chart.height - 4);
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      ctx.stroke();
    }
  }

  function render(stats) {
    const player = stats.player || {};
    const peer = stats.peer || {};
    text("channel-mode", peer.mode ? `(${peer.mode})` : "");
    text("s-startup", seconds(player.startup_delay_s));
    text("s-buffer", seconds(player.buffer_s));
    text("s-lag", seconds(player.lag_s));
    text("s-misses", `${num(peer.chunks_missed)} of ${num(peer.chunks_due)}`);
    text("s-freezes", String(num(peer.freezes)));
    text("s-neighbors", String(num(peer.neighbors)));
    text("s-from-source", bytes(num(peer.bytes_from_source)));
    text("s-from-peers", bytes(num(peer.bytes_from_peers)));
    text("s-from-decade", bytes(num(peer.bytes_from_decade)));
    text("s-upload", bytes(num(peer.upload_media_bytes)));
    if (player.decade_unavailable) showError(`DECADE storage unavailable: ${player.decade_unavailable}`);

    history.push({
      t: performance.now() / 1000,
      source: num(peer.bytes_from_source),
      peers: num(peer.bytes_from_peers),
      decade: num(peer.bytes_from_decade),
      upload: num(peer.upload_media_bytes),
    });
    while (history.length > 61) history.shift();
    drawChart();
  }

  async function poll() {
    if (hls && Number.isFinite(hls.latency)) page.latencyS = hls.latency;
    try {
      const response = await fetch("/stats", { cache: "no-store" });
      if (response.ok) {
        page.stats = await response.json();
        render(page.stats);
      }
    } catch (_) {
      // The player went away or is restarting; the next poll tries again.
      setState("stalled", "player unreachable…");
    }
  }

  startHls();
  poll();
  setInterval(poll, 1000);
})();
