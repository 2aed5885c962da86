// browser-check drives headless Chromium (Debian's, through playwright-core)
// over the test app served by the edge, and prints what it saw as JSON on
// stdout. It judges nothing: the Go test (integration/nextjs_test.go)
// asserts on the report.
//
//   node browser-check.mjs https://localhost:8443
//
// For every page load it reports the status, whether React hydrated the
// page, the CSP violations the page saw (securitypolicyviolation events)
// and the CSP errors Chromium logged on the console. It also navigates
// client-side from the not-found page through the nav links, submits the
// server action form, and checks the font and the optimized image loaded.
import { chromium } from "playwright-core";

const base = process.argv[2];
if (!base) {
  console.error("usage: node browser-check.mjs <edge base URL>");
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const wait = 20000;

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});

// Violations are counted inside the page from its first script on: an
// init script runs before any of the page's own, outside the page's CSP.
const watch = () => {
  window.__csp = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    window.__csp.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample });
  }, true);
};

async function newPage(context) {
  const page = await context.newPage();
  const log = { console: [], errors: [] };
  page.on("console", (m) => {
    const text = m.text();
    if (m.type() === "error" && /Content Security Policy/i.test(text)) log.console.push(text);
  });
  page.on("pageerror", (e) => log.errors.push(String(e && e.message)));
  return { page, log };
}

async function hydratedAs(page, path) {
  try {
    await page.waitForFunction((p) => document.documentElement.dataset.hydrated === p, path, { timeout: wait });
    return true;
  } catch {
    return false;
  }
}

async function snapshot(page, log, extra = {}) {
  const s = await page.evaluate(() => ({
    url: location.pathname,
    title: document.querySelector("#title")?.textContent ?? null,
    hydrated: document.documentElement.dataset.hydrated ?? null,
    violations: window.__csp || [],
    control: document.documentElement.dataset.control ?? null,
  }));
  const out = { ...s, console: [...log.console], pageErrors: [...log.errors], ...extra };
  log.console.length = 0;
  log.errors.length = 0;
  return out;
}

const context = await browser.newContext({ ignoreHTTPSErrors: true });
await context.addInitScript(watch);
const report = { loads: [], navigation: [], action: null, assets: null };

// 1. Every page, loaded fresh.
const pages = [
  { path: "/", hydrate: "/" },
  { path: "/static", hydrate: "/static" },
  { path: "/dynamic", hydrate: "/dynamic" },
  { path: "/isr", hydrate: "/isr" },
  { path: "/action", hydrate: "/action" },
  { path: "/image", hydrate: "/image" },
  { path: "/boom", hydrate: "/boom" },
  { path: "/no-such-page", hydrate: "/no-such-page" },
  { path: "/control", hydrate: "/control" },
];
for (const p of pages) {
  const { page, log } = await newPage(context);
  const resp = await page.goto(base + p.path, { waitUntil: "load", timeout: wait });
  const hydrated = await hydratedAs(page, p.hydrate);
  let extra = { path: p.path, status: resp ? resp.status() : 0, hydratedOK: hydrated };
  if (resp) {
    // For diagnosis: the first script tag as the browser received it.
    const body = await resp.text().catch(() => "");
    extra.firstScript = (body.match(/<script[^>]*>/i) || [""])[0];
  }
  if (p.path === "/image") {
    extra.image = await page.evaluate(async () => {
      const img = document.querySelector("#img");
      if (img && !img.complete) await new Promise((r) => { img.onload = img.onerror = r; });
      return { src: img?.currentSrc ?? null, width: img?.naturalWidth ?? 0 };
    });
    extra.fonts = await page.evaluate(async () => {
      await document.fonts.ready;
      return [...document.fonts].filter((f) => f.status === "loaded").map((f) => f.family);
    });
  }
  // Give late reports (deferred scripts, report-to) a moment.
  await page.waitForTimeout(300);
  report.loads.push(await snapshot(page, log, extra));
  await page.close();
}

// 2. Client-side navigation, starting on the not-found page (404).
{
  const { page, log } = await newPage(context);
  await page.goto(base + "/no-such-page", { waitUntil: "load", timeout: wait });
  await hydratedAs(page, "/no-such-page");
  await page.evaluate(() => { window.__sameDocument = "kept"; });
  const steps = [
    ["#nf-static", "/static"],
    ["#nav-dynamic", "/dynamic"],
    ["#nav-isr", "/isr"],
    ["#nav-action", "/action"],
    ["#nav-image", "/image"],
    ["#nav-home", "/"],
  ];
  for (const [selector, path] of steps) {
    await page.click(selector);
    const hydrated = await hydratedAs(page, path);
    const sameDocument = await page.evaluate(() => window.__sameDocument === "kept");
    report.navigation.push(await snapshot(page, log, { selector, want: path, hydratedOK: hydrated, sameDocument }));
  }
  await page.close();
}

// 3. The server action form, on a freshly loaded (prerendered) page.
{
  const { page, log } = await newPage(context);
  await page.goto(base + "/action", { waitUntil: "load", timeout: wait });
  const hydrated = await hydratedAs(page, "/action");
  await page.fill("#text", "through the edge");
  let result = null;
  const actionStatus = [];
  page.on("response", (r) => { if (r.request().method() === "POST") actionStatus.push(r.status()); });
  await page.click("#submit");
  try {
    await page.waitForFunction(() => document.querySelector("#result")?.dataset.count === "1", null, { timeout: wait });
  } catch { /* reported below */ }
  result = await page.evaluate(() => ({
    count: document.querySelector("#result")?.dataset.count ?? null,
    text: document.querySelector("#result")?.textContent ?? null,
  }));
  report.action = await snapshot(page, log, { hydratedOK: hydrated, result, postStatus: actionStatus });
  await page.close();
}

await context.close();
await browser.close();
process.stdout.write(JSON.stringify(report, null, 2) + "\n");
