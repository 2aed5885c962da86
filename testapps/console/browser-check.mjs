// browser-check drives headless Chromium (Debian's, through playwright-core)
// over the operator console served by the edge, and prints what it saw as
// JSON on stdout. It judges nothing: the Go test (integration/console_test.go)
// asserts on the report.
//
//   node browser-check.mjs <edge base URL> <console prefix>
//
// Environment: CHROMIUM (default /usr/bin/chromium), ADMIN_EMAIL,
// ADMIN_PASSWORD, USER_EMAIL, USER_PASSWORD (a signed-in non-admin),
// VICTIM_EMAIL (a locked account), SHOT (where to save a PNG screenshot).
import { chromium } from "playwright-core";

const [base, prefix] = process.argv.slice(2);
if (!base || !prefix) {
  console.error("usage: node browser-check.mjs <edge base URL> <console prefix>");
  process.exit(2);
}
const env = process.env;
const consoleURL = base + prefix + "/";
const wait = 20000;

const browser = await chromium.launch({
  executablePath: env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

// Violations are counted inside the page from its first script on: an
// init script runs before any of the page's own, outside the page's CSP.
const watch = () => {
  window.__csp = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    window.__csp.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample });
  }, true);
};

async function newContext(viewport) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: viewport || { width: 1280, height: 900 } });
  await context.addInitScript(watch);
  return context;
}

async function signIn(context, email, password) {
  const res = await context.request.post(base + "/api/auth/sign-in/email", {
    data: { email, password },
    headers: { Origin: base, "Content-Type": "application/json" },
  });
  return res.status();
}

// What a client that may not use the console gets: the page and the API.
async function refused(context) {
  const out = {};
  for (const p of ["", "api/lockouts", "api/events", "api/series?window=hour", "assets/console.js"]) {
    const res = await context.request.get(consoleURL + p);
    out[p || "page"] = { status: res.status(), type: res.headers()["content-type"] || "", body: (await res.text()).slice(0, 400) };
  }
  return out;
}

const report = { anonymous: null, nonAdmin: null, admin: {} };

// 1. Not signed in, and signed in without the admin role.
{
  const ctx = await newContext();
  report.anonymous = await refused(ctx);
  const page = await ctx.newPage();
  const res = await page.goto(consoleURL);
  report.anonymous.navigation = { status: res.status(), text: (await page.textContent("body")).slice(0, 300) };
  await ctx.close();
}
{
  const ctx = await newContext();
  const signedIn = await signIn(ctx, env.USER_EMAIL, env.USER_PASSWORD);
  report.nonAdmin = await refused(ctx);
  report.nonAdmin.signIn = signedIn;
  await ctx.close();
}

// 2. An admin.
const ctx = await newContext();
const a = report.admin;
a.signIn = await signIn(ctx, env.ADMIN_EMAIL, env.ADMIN_PASSWORD);
const page = await ctx.newPage();
const consoleErrors = [];
const pageErrors = [];
page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
page.on("pageerror", (e) => pageErrors.push(String(e && e.message)));
page.on("dialog", (d) => { a.dialog = d.message(); d.accept(); });
const res = await page.goto(consoleURL);
a.status = res.status();
a.csp = res.headers()["content-security-policy"] || "";
await page.waitForFunction(() => document.documentElement.dataset.loaded === "1", null, { timeout: wait });
await page.waitForFunction(() => document.querySelectorAll("#event-list tr.clickable").length > 0, null, { timeout: wait });

// Charts: one uPlot canvas per chart, counted from real failures.
await page.waitForFunction(() => Number(document.getElementById("charts").dataset.total || 0) > 0, null, { timeout: wait });
a.charts = await page.evaluate(() => ({
  total: Number(document.getElementById("charts").dataset.total),
  canvases: [...document.querySelectorAll(".chart")].map((c) => c.querySelectorAll("canvas").length),
  legends: [...document.querySelectorAll("#chart-signin .u-legend .u-series")].map((s) => s.textContent.trim()).filter(Boolean),
}));

// CSP reports grouped by directive and blocked URI.
await page.waitForFunction(() => document.querySelectorAll("#csp-groups tbody tr:not(:has(td.empty))").length > 0, null, { timeout: wait }).catch(() => {});
a.cspGroups = await page.$$eval("#csp-groups tbody tr", (rows) => rows.filter((r) => r.cells.length > 1).map((r) => ({ directive: r.cells[0].textContent, blocked: r.cells[1].textContent, count: r.cells[2].textContent })));

// The doctor, on demand.
await page.click("#doctor-run");
await page.waitForFunction(() => /^ran /.test(document.getElementById("doctor-msg").textContent), null, { timeout: 60000 }).catch(() => {});
a.doctor = await page.$$eval("#doctor tbody tr", (rows) => rows.map((r) => r.textContent));

// A screenshot of the console with its data, as an operator first sees
// it (no email typed yet, so every account is a hash).
if (env.SHOT) await page.screenshot({ path: env.SHOT, fullPage: true });

// The lockout of the victim, found by typing their email.
await page.fill("#lock-email", env.VICTIM_EMAIL);
await page.click("#lock-find button[type=submit]");
await page.waitForFunction((email) => [...document.querySelectorAll("#lockouts tbody tr")].some((tr) => tr.textContent.includes(email)), env.VICTIM_EMAIL, { timeout: wait });
a.lockoutRows = await page.$$eval("#lockouts tbody tr", (rows) => rows.map((r) => r.textContent));

// Filters narrow the event list.
const rowsOf = () => page.$$eval("#event-list tbody tr.clickable", (rows) => rows.map((r) => r.dataset.action));
const listed = async (before) => {
  await page.waitForFunction((n) => document.getElementById("event-list").dataset.count !== n, before, { timeout: wait }).catch(() => {});
  return rowsOf();
};
a.filters = { all: await rowsOf() };
let count = await page.$eval("#event-list", (t) => t.dataset.count);
await page.selectOption("#f-type", "sign_in_failed");
await page.click("#filters button[type=submit]");
a.filters.signInFailed = await listed(count);
count = await page.$eval("#event-list", (t) => t.dataset.count);
await page.selectOption("#f-type", "");
await page.fill("#f-account", env.ADMIN_EMAIL);
await page.click("#filters button[type=submit]");
a.filters.adminAccount = await listed(count);
count = await page.$eval("#event-list", (t) => t.dataset.count);
await page.fill("#f-account", "");
await page.selectOption("#f-since", "");
await page.fill("#f-until", "2001-01-01T00:00:00");
await page.click("#filters button[type=submit]");
a.filters.untilLongAgo = await listed(count);
await page.fill("#f-until", "");
await page.selectOption("#f-since", "24h");
await page.click("#filters button[type=submit]");
await listed("0");

// One event in full, with its neighbours.
await page.click("#event-list tbody tr.clickable[data-action=sign_in_failed]");
await page.waitForSelector("#detail:not([hidden])", { timeout: wait });
a.detail = await page.evaluate(() => ({
  fields: Object.fromEntries([...document.querySelectorAll("#ecs tbody tr")].map((r) => [r.cells[0].textContent, r.cells[1] ? r.cells[1].textContent : ""])),
  byIP: document.querySelectorAll("#by-ip tbody tr").length,
}));
await page.click("#detail-close");

// Unlock, confirmed in the dialog.
await page.fill("#lock-email", env.VICTIM_EMAIL);
await page.click("#lock-find button[type=submit]");
await page.waitForSelector("#lockouts button.unlock", { timeout: wait });
await page.click("#lockouts button.unlock");
await page.waitForFunction(() => /Unlocked|nothing to clear|failed/.test(document.getElementById("lock-msg").textContent), null, { timeout: wait });
a.unlockMessage = await page.textContent("#lock-msg");
await page.waitForFunction(() => ![...document.querySelectorAll("#lockouts button.unlock")].length, null, { timeout: wait }).catch(() => {});
a.lockoutRowsAfter = await page.$$eval("#lockouts tbody tr", (rows) => rows.map((r) => r.textContent));

// A phone: nothing wider than the screen but the scrolling tables.
await page.setViewportSize({ width: 390, height: 844 });
await page.waitForTimeout(300);
a.phone = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth }));

a.violations = await page.evaluate(() => window.__csp || []);
a.consoleErrors = consoleErrors;
a.pageErrors = pageErrors;
await ctx.close();
await browser.close();
process.stdout.write(JSON.stringify(report));
