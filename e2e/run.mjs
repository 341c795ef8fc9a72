// Browser test: signs in, searches, imports a file with bad rows and reads the report, downloads
// an export, manages an account, searches the audit log, walks each role's workbench and opens
// an item from it, opens the field pages on a phone, and takes a 三级 case from self-assessment
// to a verified certificate. Every role's landing page and the pages the walk opens are checked
// with axe-core (no serious or critical violation). Runs the real binary (`anbiao demo`) on
// SQLite and PostgreSQL; screenshots are kept in e2e/out.
//
// Usage: node e2e/run.mjs [path-to-anbiao-binary]
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(process.argv[2] || join(here, "..", "target", "debug", "anbiao"));
const out = join(here, "out");
mkdirSync(out, { recursive: true });
const pgAdmin = process.env.TEST_POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/postgres";

let passed = 0;
let failed = 0;
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

function check(cond, what) {
  if (!cond) throw new Error("断言失败：" + what);
}

// Opens a menu link: from its drop-down when it sits in one.
async function menu(page, href) {
  const link = page.locator(`header.top nav a[href='${href}']`);
  if (!(await link.isVisible())) {
    await page.locator("header.top nav details", { has: page.locator(`a[href='${href}']`) }).locator("summary").click();
  }
  await link.click();
}

// axe-core on the page as it stands: no serious or critical violation.
async function a11y(page, what) {
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const r = await globalThis.axe.run(document, { resultTypes: ["violations"] });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} ×${v.nodes.length}: ${v.nodes.slice(0, 2).map((n) => n.target.join(" ")).join(" | ")}`);
  });
  check(found.length === 0, `${what}: accessibility (axe-core): ${found.join("; ")}`);
}

// Nothing runs past the window sideways (a phone's width).
async function fitsWidth(page, what) {
  const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(over <= 1, `${what}: the page fits the width (${over}px over)`);
}

// The top bar on one line at this width: nothing wraps, nothing runs past the window.
async function checkTopBar(page, who) {
  await a11y(page, `${who} ${new URL(page.url()).pathname}`);
  const bar = await page.$eval("header.top", (h) => ({
    height: h.getBoundingClientRect().height,
    overflow: h.scrollWidth - document.documentElement.clientWidth,
    wrapped: [...h.querySelectorAll("nav > a, nav summary, .who > *")]
      .filter((e) => e.getBoundingClientRect().height > 36)
      .map((e) => e.textContent.trim()),
  }));
  check(bar.height <= 48 && bar.overflow <= 0 && bar.wrapped.length === 0,
    `${who}: the top bar fits one line (height ${bar.height}, overflow ${bar.overflow}, wrapped ${bar.wrapped})`);
}

async function waitHealthy(url, proc, log) {
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) throw new Error("anbiao exited early:\n" + log());
    try {
      const r = await fetch(url + "/healthz");
      if (r.ok) return;
    } catch (_) {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("anbiao did not become healthy:\n" + log());
}

function badRowsCsv() {
  // Title row, header synonyms, a good row, a row with a non-numeric staff count, a row without
  // a name, a code whose check character fails, a blank row and a total line.
  return [
    "南通市工贸企业名录（浏览器测试）",
    "序号,单位名称,统一社会信用代码,所属县（市、区）,行业类别,年销售额,从业人数",
    "1,浏览器测试甲机械有限公司,91320682711592946A,如皋市,机械行业,\"2,500\",120",
    "2,浏览器测试乙纺织有限公司,91320682MA1YNP7P2L,如皋,纺织,300,很多",
    "3,,91350200776049653A,如皋,轻工,10,5",
    "4,浏览器测试丁建材有限公司,91320682711592945A,如皋,建材,10,5",
    ",,,,,,",
    "合计,,,,,\"2,810\",125",
    "",
  ].join("\n");
}

// Whether something already answers on the port: the walk would then drive that server, not its
// own (a demo left running by hand once made the walk read another server's logins).
async function portTaken(port) {
  try {
    await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

async function scenario(name, dbUrl, port) {
  if (await portTaken(port)) {
    throw new Error(`port ${port} is already in use by another server: stop it and run the browser test again`);
  }
  const work = mkdtempSync(join(tmpdir(), "anbiao-e2e-"));
  const base = `http://127.0.0.1:${port}`;
  const csvPath = join(work, "名录.csv");
  writeFileSync(csvPath, "\ufeff" + badRowsCsv());
  let logText = "";
  const start = (args) => {
    const p = spawn(bin, ["--db", dbUrl, ...args], { cwd: work, env: { ...process.env, RUST_LOG: "warn" } });
    p.on("error", (e) => (logText += "spawn failed: " + e.message));
    p.stdout.on("data", (d) => (logText += d));
    p.stderr.on("data", (d) => (logText += d));
    return p;
  };
  // The walk signs in more often than the per-address limit of a minute allows a person; the
  // limit has its own tests.
  const limits = ["--sign-ins-per-minute", "200"];
  let proc = start(["demo", "--port", String(port), "--enterprises", "600", "--seed", "7", ...limits]);
  // Time passes: stop the server and serve the same database on a later business date.
  const restartOn = async (day) => {
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await exited;
    proc = start(["serve", "--port", String(port), "--public-url", base, "--business-date", day, "--jobs-every-minutes", "0", "--allow-demo-logins", ...limits]);
    await waitHealthy(base, proc, () => logText);
  };
  const profile = mkdtempSync(join(tmpdir(), "anbiao-chromium-"));
  let context;
  try {
    await waitHealthy(base, proc, () => logText);
    // The logins are printed just before the server listens: their output may reach this
    // process after the first healthy answer.
    for (let i = 0; i < 50 && !logText.includes("city"); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    check(logText.includes("city"), "demo prints the logins");
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      headless: true,
      acceptDownloads: true,
      viewport: { width: 1366, height: 768 },
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync"],
    });
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(15000);
    const consoleErrors = [];
    // The wrong password answers 401 and the early announcement 409/422 on purpose; anything
    // else logged as an error fails the test.
    page.on("console", (m) => {
      if (m.type() === "error" && !/status of (401|409|422)/.test(m.text())) consoleErrors.push(m.text());
    });

    // Sign in: a wrong password shows the message, the right one opens the list.
    await page.goto(base + "/");
    check(page.url().endsWith("/login"), "anonymous visitor is sent to the sign-in page");
    await page.fill("input[name=username]", "rugao");
    await page.fill("input[name=password]", "wrong-password");
    await page.click("button[type=submit]");
    await page.waitForSelector("#msg");
    check((await page.textContent("#msg")).includes("用户名或密码错误"), "wrong password message");
    await page.fill("input[name=password]", "Demo@2018");
    await page.click("button[type=submit]");
    // The officer lands on the workbench: what waits, each with a link that opens the work.
    await page.waitForURL((u) => new URL(u).pathname === "/");
    const waiting = await page.$$eval("#workbench tbody tr", (trs) => trs.map((tr) => tr.textContent));
    check(waiting.some((t) => t.includes("隐患")) && waiting.some((t) => t.includes("计划检查")),
      "the district officer's workbench lists hazards and planned visits: " + waiting);
    await page.screenshot({ path: join(out, `${name}-workbench.png`) });
    await page.click("#workbench a[href='/hazards?overdue=1']");
    await page.waitForURL("**/hazards?overdue=1");
    await page.goto(base + "/enterprises");
    const total0 = await page.textContent("#total");
    check(/共\s*\d+\s*家企业/.test(total0), "list shows a total: " + total0);

    // Search: the results narrow to names with the term, and every region is 如皋 (scope).
    await page.fill("#q", "机械");
    await page.waitForFunction((t) => document.querySelector("#total").textContent !== t, total0);
    const names = await page.$$eval("table.grid tbody tr td:nth-child(2)", (tds) => tds.map((t) => t.textContent));
    check(names.length > 0 && names.every((n) => n.includes("机械")), "search results contain 机械: " + names.slice(0, 3));
    const regions = await page.$$eval("table.grid tbody tr td:nth-child(3)", (tds) => tds.map((t) => t.textContent));
    check(regions.every((r) => r.includes("如皋")), "a 如皋 officer sees only 如皋");
    check(page.url().includes("q="), "the search is in the address bar");
    await page.screenshot({ path: join(out, `${name}-list.png`) });

    // Import a file with bad rows and read the report.
    await checkTopBar(page, "rugao");
    await menu(page, "/enterprises/import");
    await page.setInputFiles("input[type=file]", csvPath);
    await page.click("#import-form button[type=submit]");
    await page.waitForSelector("#import-report");
    const report = await page.textContent("#import-report");
    check(report.includes("新增"), "report shows counts");
    const rows = await page.$$eval("#rejections tbody tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    const byRow = Object.fromEntries(rows.map((r) => [r[0], r]));
    check(byRow["4"] && byRow["4"][1] === "从业人数" && byRow["4"][2].includes("很多"), "row 4 staff rejected: " + JSON.stringify(rows));
    check(byRow["5"] && byRow["5"][2].includes("企业名称不能为空"), "row 5 name rejected");
    check(byRow["6"] && byRow["6"][1] === "统一社会信用代码", "row 6 check character rejected");
    check(!byRow["8"], "the total line is skipped");
    check((await page.textContent("#imported")).trim() === "1", "one row imported");
    await page.screenshot({ path: join(out, `${name}-import.png`), fullPage: true });

    // The imported enterprise is found, and the export downloads an .xlsx of the filtered list.
    await page.goto(base + "/enterprises?q=" + encodeURIComponent("浏览器测试"));
    check((await page.textContent("#total")).includes("1"), "imported enterprise is listed");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
    const file = join(work, "export.xlsx");
    await download.saveAs(file);
    const bytes = readFileSync(file);
    check(bytes.length > 1000 && bytes[0] === 0x50 && bytes[1] === 0x4b, "export is an xlsx (zip) file");

    // Accounts: the system administrator creates an account; its first sign-in must change
    // the initial password; the audit administrator finds both in the log.
    const signOut = async () => {
      await page.click("header button:has-text('退出')");
      await page.waitForURL("**/login");
    };
    const signIn = async (user, pw, landing) => {
      await page.fill("input[name=username]", user);
      await page.fill("input[name=password]", pw);
      await page.click("button[type=submit]");
      await page.waitForURL((u) => new URL(u).pathname === landing);
      await checkTopBar(page, user);
    };
    await signOut();
    // The administrators land on a workbench of their own work and open it from there.
    await signIn("sysadmin", "Demo@2018", "/");
    check((await page.textContent("#workbench")).includes("因多次登录失败被锁定的账户"), "the system administrator's workbench");
    await page.click("#workbench a[href='/admin/users']");
    await page.waitForURL("**/admin/users");
    await page.fill("input[name=username]", "e2e_new");
    await page.fill("input[name=display_name]", "浏览器新同事");
    await page.fill("form.form input[name=password]", "Init#2026a");
    await page.click("form.form button[type=submit]");
    await page.waitForSelector("p.notice");
    check((await page.textContent("p.notice")).includes("账户已创建"), "account created");
    check((await page.textContent("table.grid tr:has-text('e2e_new')")).includes("待授权"), "new account listed, waiting for a role");
    check((await page.textContent("table.grid tr:has-text('secadmin')")).includes("命令行维护"), "no buttons on an administrator's account");
    await signOut();
    // Only the security administrator grants the role and the region.
    await signIn("secadmin", "Demo@2018", "/");
    const pendingRow = await page.textContent("#workbench tr:has-text('等待授予角色的账户')");
    check(!pendingRow.includes("无"), "the new account waits for a role on the workbench: " + pendingRow);
    await page.click("#workbench a[href='/admin/grants']");
    await page.waitForURL("**/admin/grants");
    const row = "table.grid tr:has-text('e2e_new')";
    await page.selectOption(`${row} select[name=role]`, "district_officer");
    await page.selectOption(`${row} select[name=region]`, "320682");
    await page.click(`${row} button:has-text('授予')`);
    await page.waitForSelector("p.notice");
    check((await page.textContent(row)).includes("县（市、区）监管人员"), "role granted");
    await signOut();
    await signIn("e2e_new", "Init#2026a", "/account/password");
    check((await page.textContent("main")).includes("首次登录"), "first sign-in asks for a new password");
    await page.fill("input[name=current]", "Init#2026a");
    await page.fill("input[name=new]", "Next#2026b");
    await page.fill("input[name=confirm]", "Next#2026b");
    await page.click("#password-form button[type=submit]");
    await page.waitForURL((u) => new URL(u).pathname === "/");
    await signOut();
    await signIn("auditor", "Demo@2018", "/");
    check((await page.textContent("#workbench")).includes("今日越权访问被拒"), "the audit administrator's workbench");
    await page.goto(`${base}/audit`);
    await page.fill("input[name=actor]", "e2e_new");
    await page.click("form.filters button[type=submit]");
    await page.waitForURL("**actor=e2e_new**");
    const actions = await page.$$eval("table.grid tbody tr td:nth-child(6)", (tds) => tds.map((t) => t.textContent));
    check(actions.includes("修改密码") && actions.includes("登录成功"), "audit shows the new account's actions: " + actions);
    const actors = await page.$$eval("table.grid tbody tr td:nth-child(3)", (tds) => tds.map((t) => t.textContent));
    check(actors.every((a) => a.includes("浏览器新同事")), "the actor filter holds, people by name: " + actors);
    await page.screenshot({ path: join(out, `${name}-audit.png`) });
    await signOut();
    await workbenchFlow({ page, base, name, signIn, signOut });
    await programmeFlow({ page, base, name, work, signIn, signOut });
    await supervisionFlow({ page, base, name, work, signIn, signOut });
    await riskFlow({ page, base, name, work, signIn, signOut });
    await obligationFlow({ page, base, name, work, signIn, signOut });
    await gradingFlow({ page, context, base, name, work, signIn, signOut, restartOn });
    check(consoleErrors.length === 0, "no console errors: " + consoleErrors.join("; "));
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}: ${e.message}`);
    console.log(e.stack);
    console.log(logText.slice(-3000));
  } finally {
    if (context) await context.close();
    proc.kill("SIGTERM");
    rmSync(profile, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

// Each role's workbench at 1366 × 768: what waits for it, and the first item with work opens
// its page. Then the field pages a township officer opens on a 390 × 844 phone, and the public
// site and the rule book. Screenshots of each.
async function workbenchFlow({ page, base, name, signIn, signOut }) {
  for (const user of ["city", "rugao", "rucheng", "qiye"]) {
    await signIn(user, "Demo@2018", "/");
    const items = await page.$$eval("#workbench tbody tr", (trs) => trs.map((tr) => tr.textContent.replace(/\s+/g, " ").trim()));
    check(items.length >= 3, `${user}'s workbench lists what waits: ${items}`);
    if (user === "city" || user === "rugao") {
      // The programme's figures load after the page.
      await page.waitForSelector("#workbench-targets tbody tr");
      const targets = await page.$$eval("#workbench-targets tbody tr", (trs) => trs.length);
      check(targets >= 3, `${user}'s workbench shows the programme's figures against its targets (${targets})`);
    }
    await page.screenshot({ path: join(out, `${name}-workbench-${user}.png`) });
    const link = page.locator("#workbench a:has-text('去办理')").first();
    check((await link.count()) === 1, `${user}'s workbench has work to open: ${items}`);
    const href = await link.getAttribute("href");
    const [res] = await Promise.all([page.waitForNavigation(), link.click()]);
    check(res && res.status() === 200, `${user}: ${href} opens (${res && res.status()})`);
    check((await page.locator("main h1").count()) >= 1, `${user}: ${href} shows its page`);
    await a11y(page, `${user} ${href}`);
    await page.screenshot({ path: join(out, `${name}-workbench-${user}-opened.png`) });
    await signOut();
  }

  // The township officer in the field: the hazards, a hazard and the inspection form on a phone.
  await signIn("rucheng", "Demo@2018", "/");
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    await page.goto(base + "/hazards");
    await fitsWidth(page, "phone /hazards");
    await a11y(page, "phone /hazards");
    await page.screenshot({ path: join(out, `${name}-phone-hazards.png`), fullPage: true });
    const first = page.locator("main table a[href^='/hazards/']").first();
    if ((await first.count()) === 1) {
      await first.click();
      await page.waitForLoadState();
      await fitsWidth(page, "phone hazard");
      await a11y(page, "phone hazard");
      await page.screenshot({ path: join(out, `${name}-phone-hazard.png`), fullPage: true });
    }
    await page.goto(base + "/inspections/new?kind=complaint");
    await fitsWidth(page, "phone /inspections/new");
    await a11y(page, "phone /inspections/new");
    await page.screenshot({ path: join(out, `${name}-phone-inspection.png`), fullPage: true });
  } finally {
    await page.setViewportSize({ width: 1366, height: 768 });
  }
  await signOut();

  // The public site and the rule book, as anyone reads them.
  for (const path of ["/portal", "/rules", "/rules/inspection@2"]) {
    await page.goto(base + path);
    await a11y(page, path);
  }
  check((await page.textContent("main")).includes("监督检查频次规则"), "the rule book shows a set in words");
  await page.goto(base + "/portal");
  check((await page.locator("#portal-home section").count()) === 6, "the portal's home shows its six sections");
  check((await page.textContent("footer.foot")).includes("联系我们"), "the portal's foot shows the bureau's contact");
  await page.screenshot({ path: join(out, `${name}-portal.png`), fullPage: true });
  await page.goto(base + "/login");
}

// The programme: the city officer opens the target table as of 2019-12-31, follows a lagging
// figure to the enterprises still missing, exports the table; a district officer submits its
// summary report.
async function programmeFlow({ page, base, name, work, signIn, signOut }) {
  await signIn("city", "Demo@2018", "/");
  await menu(page, "/programmes");
  await page.waitForSelector("#targets");
  await page.fill("form.asof input[name=as_of]", "2019-12-31");
  await page.click("form.asof button[type=submit]");
  await page.waitForURL("**as_of=2019-12-31**");
  check((await page.textContent("#as-of")).trim() === "2019-12-31", "the table is as of 2019-12-31");
  const rows = await page.$$eval("#targets tbody tr", (trs) => trs.length);
  check(rows === 11, "eleven units: " + rows);
  await page.waitForSelector("section.charts svg polyline");
  await page.screenshot({ path: join(out, `${name}-dashboard.png`), fullPage: true });
  // A lagging rate: its "还需" link lists the enterprises still missing.
  const need = page.locator("#targets a.need[href*='side=missing']").first();
  const needText = await need.textContent();
  check(/还需 \d+ 家/.test(needText), "a lagging figure says how many are needed: " + needText);
  await need.click();
  await page.waitForSelector("#behind");
  check((await page.textContent("h1")).includes("尚未达到的企业"), "the list of those still missing");
  const missing = await page.$$eval("#behind tbody tr td a", (as) => as.length);
  check(missing > 0, "enterprises are listed behind the figure");
  await page.goBack();
  await page.waitForSelector("#targets");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
  const file = join(work, "targets.xlsx");
  await download.saveAs(file);
  const bytes = readFileSync(file);
  check(bytes.length > 3000 && bytes[0] === 0x50 && bytes[1] === 0x4b, "the table exports as .xlsx");
  await signOut();

  await signIn("rugao", "Demo@2018", "/");
  await page.goto(base + "/programmes/nantong.2018/tasks");
  await page.waitForSelector("#submit-form");
  const pdfPath = join(work, "如皋市总结.pdf");
  writeFileSync(pdfPath, "%PDF-1.4\n% 如皋市样板地区建设工作开展情况（盖章扫描件）\n%%EOF\n");
  await page.selectOption("#submit-form select[name=deadline]", "summary_report");
  await page.setInputFiles("#submit-form input[type=file]", pdfPath);
  await page.fill("#submit-form input[name=note]", "总结报告（盖章）");
  await page.click("#submit-form button[type=submit]");
  await page.waitForFunction(() => (document.querySelector("#tasks tr.own") || {}).textContent?.includes("待审核"));
  const own = await page.textContent("#tasks tr.own");
  check(own.includes("待审核"), "the summary report awaits the city: " + own);
  await page.screenshot({ path: join(out, `${name}-tasks.png`) });
  await signOut();
}

// Supervision: a district officer draws next year's plan; an inspector records an inspection
// of the demo enterprise with a finding and its photo; the enterprise reports the
// rectification with an "after" photo; the officer verifies and writes the hazard off.
async function supervisionFlow({ page, base, name, work, signIn, signOut }) {
  const photo = join(work, "现场照片.png");
  writeFileSync(photo, readFileSync(join(here, "..", "crates", "app", "src", "demo_after.png")));
  await signIn("qiye", "Demo@2018", "/");
  await page.goto(base + "/enterprises");
  const code = (await page.textContent("table.grid tbody tr:first-child td.mono")).trim();
  check(/^[0-9A-Z]{18}$/.test(code), "the enterprise reads its own credit code: " + code);
  await signOut();

  await signIn("rugao", "Demo@2018", "/");
  const year = new Date().getFullYear() + 1;
  await page.goto(`${base}/inspections/plan?year=${year}`);
  await page.waitForSelector("#draw-form");
  await page.fill("#draw-form input[name=seed]", "20260704");
  await page.click("#draw-form button[type=submit]");
  await page.waitForSelector("#plan-summary");
  check((await page.textContent("#seed")).trim() === "20260704", "the plan records its seed");
  check((await page.textContent("#plan-lines")).includes("每年"), "every line explains its count");
  const months = await page.$$eval("#calendar tbody td", (tds) => tds.map((t) => Number(t.textContent)));
  check(months.length === 12 && months.some((n) => n > 0), "the calendar counts visits by month: " + months);
  await page.screenshot({ path: join(out, `${name}-inspection-plan.png`) });
  // Printed, the plan is a report: no menu, filters, tabs or pager.
  await page.emulateMedia({ media: "print" });
  for (const sel of ["header.top", "form.filters", "nav.tabs", "nav.pager"]) {
    check(!(await page.isVisible(sel)), `the printed plan hides ${sel}`);
  }
  check(await page.isVisible("#plan-lines"), "the printed plan keeps its lines");
  await page.pdf({ path: join(out, `${name}-inspection-plan.pdf`), landscape: true });
  await page.emulateMedia({ media: "screen" });

  await page.goto(base + "/inspections/new?kind=complaint");
  await page.waitForSelector("#inspection-form");
  await page.fill("#inspection-form input[name=credit_code]", code);
  await page.fill("#inspection-form input[name=officer2]", "rucheng");
  await page.check("#inspection-form input[name=answer_hot_work][value=finding]");
  await page.fill("#inspection-form input[name=note_hot_work]", "焊接作业未办理动火审批");
  await page.fill("#inspection-form textarea[name=f1_description]", "浏览器测试：焊接动火作业未办理审批，现场无监火人");
  const due = new Date(Date.now() + 10 * 86400000).toISOString().slice(0, 10);
  await page.fill("#inspection-form input[name=f1_deadline]", due);
  await page.setInputFiles("#inspection-form input[name=f1_photo]", photo);
  await page.fill("#inspection-form textarea[name=summary]", "举报核查");
  await page.click("#inspection-form button[type=submit]");
  await page.waitForURL(/\/inspections\/\d+$/);
  check((await page.textContent("#answers")).includes("发现问题"), "the checklist records the finding");
  await page.click("#hazards a:has-text('浏览器测试')");
  await page.waitForSelector("#hazard-state");
  const hazardUrl = page.url();
  check((await page.textContent("#hazard-state")).trim() === "整改中", "the finding opened a hazard");
  await signOut();

  await signIn("qiye", "Demo@2018", "/");
  await page.goto(hazardUrl);
  await page.waitForSelector("#rectify-form");
  await page.setInputFiles("#rectify-form input[name=photo]", photo);
  await page.fill("#rectify-form textarea[name=note]", "已补办动火审批，配备监火人和灭火器");
  await page.click("#rectify-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#hazard-state")?.textContent.includes("待验收"));
  check(!(await page.$("#accept-form")), "the enterprise cannot write its own hazard off");
  await signOut();

  await signIn("rugao", "Demo@2018", "/");
  await page.goto(hazardUrl);
  const shown = await page.$$eval("#photos img", (imgs) => imgs.map((i) => i.naturalWidth));
  check(shown.length === 2 && shown.every((w) => w > 0), "both photos show: " + shown);
  await page.click("#accept-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#hazard-state")?.textContent.includes("已验收销号"));
  await page.screenshot({ path: join(out, `${name}-hazard.png`), fullPage: true });
  await signOut();
}

// Risk grading (双重预防): the enterprise uploads a workshop plan, identifies three points (one by
// LEC, one by L × S, one 重大 by a direct condition), places each on the plan by its position,
// sees them in their colours on the map and prints a point's 岗位风险告知卡; the district officer
// finds the enterprise in the 重大 list and opens its map.
async function riskFlow({ page, base, name, work, signIn, signOut }) {
  await signIn("qiye", "Demo@2018", "/");
  await page.goto(base + "/risks");
  await page.waitForURL(/\/enterprises\/\d+\/risks$/);
  const registerUrl = page.url();
  await page.click("#risk-map");
  await page.waitForSelector("#plan-form");
  const mapUrl = page.url();
  // The demo's site plan serves as the workshop's drawing.
  const firstPlan = await page.getAttribute("section.risk-plan image", "href");
  const plan = Buffer.from(await (await page.request.get(base + firstPlan)).body());
  const planPath = join(work, "二号车间平面图.png");
  writeFileSync(planPath, plan);
  await page.fill("#plan-form input[name=name]", "浏览器测试车间平面图");
  await page.selectOption("#plan-form select[name=kind]", "workshop");
  await page.setInputFiles("#plan-form input[name=plan]", planPath);
  await page.click("#plan-form button[type=submit]");
  await page.waitForSelector("section.risk-plan:has-text('浏览器测试车间平面图')");

  const points = [
    { name: "浏览器测试冲床", method: "lec", factors: { L: "3", E: "6", C: "15" }, at: "20,30", colour: "#f28e2b" },
    { name: "浏览器测试焊接工位", method: "ls", factors: { L: "3", S: "3" }, at: "50,50", colour: "#f2d024" },
    { name: "浏览器测试集水井", method: "lec", factors: { L: "1", E: "1", C: "15" }, at: "70,20 90,20 90,40 70,40", colour: "#d7191c", direct: "confined_space" },
  ];
  for (const p of points) {
    await page.goto(base + "/risks/new");
    await page.waitForSelector("#risk-form");
    await page.fill("#risk-form input[name=name]", p.name);
    await page.selectOption("#risk-form select[name=kind]", "equipment");
    await page.fill("#risk-form textarea[name=hazards]", "浏览器测试：危险有害因素");
    await page.check("#risk-form input[name=accident_types][value='机械伤害']");
    await page.check(`#risk-form input[name=method][value='${p.method}']`);
    for (const [k, v] of Object.entries(p.factors)) {
      await page.selectOption(`#risk-form select[name=f_${p.method}_${k}]`, v);
    }
    if (p.direct) await page.check(`#risk-form input[name=direct][value='${p.direct}']`);
    await page.fill("#risk-form input[name=responsible]", "顾晓燕");
    await page.fill("#risk-form textarea[name=m_management]", "每班点检\n作业审批");
    await page.click("#risk-form button[type=submit]");
    await page.waitForURL(/\/risks\/\d+$/);
    await page.waitForSelector("#place-form");
    const option = await page.$eval("#place-form select[name=plan]", (s) =>
      [...s.options].find((o) => o.textContent.includes("浏览器测试车间平面图")).value);
    await page.selectOption("#place-form select[name=plan]", option);
    await page.fill("#place-form input[name=at]", p.at);
    await page.click("#place-form button[type=submit]");
    await page.waitForFunction((at) => document.querySelector("#risk-place")?.textContent.includes(at), p.at);
    p.url = page.url().replace(/#.*$/, "");
  }
  check((await page.textContent("#risk-level")).includes("重大风险"), "a confined space is 重大 whatever its score");

  // The map: each point in its level's colour.
  await page.goto(mapUrl);
  const fills = await page.$$eval("section.risk-plan:has-text('浏览器测试车间平面图') svg a", (as) =>
    as.map((a) => (a.querySelector("circle, polygon") || {}).getAttribute?.("fill")));
  check(JSON.stringify(fills) === JSON.stringify(points.map((p) => p.colour)), "the map draws the points in their colours: " + fills);
  await page.screenshot({ path: join(out, `${name}-risk-map.png`), fullPage: true });

  // The 岗位风险告知卡 of the first point prints with a QR code to its current version.
  await page.goto(points[0].url);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click("#risk-cards a[href$='/cards/notice']"),
  ]);
  const cardPath = join(work, "card.pdf");
  await download.saveAs(cardPath);
  const card = readFileSync(cardPath).toString("latin1");
  check(card.startsWith("%PDF-") && /\/FontFile[23]/.test(card), "the card is a PDF with an embedded font");
  const cardLink = /\/URI\((http[^)]+)\)/.exec(card);
  check(cardLink && cardLink[1].includes("/portal/risk-cards/"), "the card's QR code opens the portal: " + (cardLink && cardLink[1]));
  const pub = await (await fetch(cardLink[1])).text();
  check(pub.includes("浏览器测试冲床") && pub.includes("岗位风险告知卡"), "the portal shows the card's current version");
  check(registerUrl.length > 0, "register reached");
  await signOut();

  // The district officer: the enterprise is on the 重大 list; its map opens.
  await signIn("rugao", "Demo@2018", "/");
  await page.goto(base + "/risks");
  const enterprise = registerUrl.match(/\/enterprises\/(\d+)\/risks$/)[1];
  await page.click(`#list-major a[href='/enterprises/${enterprise}/risks']`);
  await page.waitForURL(registerUrl);
  await page.click("#risk-map");
  await page.waitForSelector("section.risk-plan:has-text('浏览器测试车间平面图') svg");
  check(!(await page.$("#plan-form")), "an officer reads the map and cannot upload");
  await signOut();
}

// The grading life cycle through the pages: the enterprise self-assesses and applies for 三级,
// the district accepts, the city assigns an evaluation team, the evaluator scores, the city
// reviews and starts the public notice; after the notice has run the city announces, the
// certificate PDF downloads and the address in its QR code verifies on the public page.
// The obligation list and training (issue 18): the enterprise confirms two items of its list
// with evidence and records a gap; the township officer sees the gap on the enterprise and in
// the township's figures; the district officer records a training session, imports its sign-in
// sheet with one bad row, reads the report, and imports the corrected sheet.
async function obligationFlow({ page, base, name, work, signIn, signOut }) {
  const evidence = join(work, "安全培训档案.pdf");
  writeFileSync(evidence, "%PDF-1.4\n% 年度安全培训档案（扫描件）\n%%EOF\n");
  await signIn("qiye", "Demo@2018", "/");
  const listHref = await page.$eval("header.top nav a[href$='/obligations']", (a) => a.getAttribute("href"));
  await menu(page, listHref);
  await page.waitForSelector("#obligations");
  const enterprise = (await page.textContent("h1")).replace("安全生产监管清单：", "").trim();
  const open = await page.$$eval("#obligations tbody tr", (trs) =>
    trs.filter((t) => t.querySelector(".tag.st-open, .tag.st-overdue")).map((t) => t.id.replace("item-", "")));
  check(open.length >= 3, "the enterprise has items to check: " + open.length);
  for (const key of open.slice(0, 2)) {
    const row = page.locator(`[id='item-${key}']`);
    await row.locator("summary:has-text('确认落实')").click();
    const form = row.locator("form[action$='/confirm']");
    await form.locator("textarea[name=note]").fill("浏览器测试：已落实，档案见附件");
    await form.locator("input[type=file]").setInputFiles(evidence);
    await form.locator("button[type=submit]").click();
    await page.waitForSelector(`[id='item-${key}'] .tag.st-done`);
  }
  const gapKey = open[2];
  const gapRow = page.locator(`[id='item-${gapKey}']`);
  await gapRow.locator("summary:has-text('登记问题')").click();
  const gapForm = gapRow.locator("form[action$='/gap']");
  await gapForm.locator("textarea[name=note]").fill("浏览器测试：两名新员工未完成三级安全教育");
  const due = await page.evaluate(() => {
    const d = new Date(document.querySelector("input[name=rectify_by]").min);
    d.setDate(d.getDate() + 20);
    return d.toISOString().slice(0, 10);
  });
  await gapForm.locator("input[name=rectify_by]").fill(due);
  await gapForm.locator("button[type=submit]").click();
  await page.waitForSelector(`[id='item-${gapKey}'] .tag.st-gap`);
  await a11y(page, "the enterprise's obligation list");
  await page.screenshot({ path: join(out, `${name}-obligations.png`), fullPage: false });
  await signOut();

  await signIn("rucheng", "Demo@2018", "/");
  await page.goto(base + listHref);
  await page.waitForSelector(`[id='item-${gapKey}'] .tag.st-gap`);
  check((await page.textContent(`[id='item-${gapKey}']`)).includes("两名新员工未完成三级安全教育"), "the township officer reads the gap");
  await menu(page, "/obligations");
  await page.waitForSelector("#obligation-total");
  check((await page.textContent("#obligation-total")).includes("有待整改问题的"), "the township's figures count the gap");
  // The column is found by its heading, not its place.
  const gapsAt = await page.$$eval("#obligation-places thead th", (ths) => ths.findIndex((h) => h.textContent.trim() === "有待整改"));
  const rucheng = await page.$$eval("#obligation-places tbody tr", (trs) =>
    trs.map((t) => [...t.querySelectorAll("td")].map((c) => c.textContent.trim())).find((c) => c[0] === "如城街道"));
  check(gapsAt > 0 && rucheng && Number(rucheng[gapsAt]) >= 1, "如城街道's row has an enterprise with a gap: " + rucheng);
  await a11y(page, "the township's obligation figures");
  // Its count opens the enterprises behind it, the one with the gap among them.
  await page.click(`#obligation-places tbody tr:has(td:text-is("如城街道")) td:nth-child(${gapsAt + 1}) a`);
  await page.waitForSelector("#obligation-enterprises");
  check((await page.textContent("h1")).includes("有待整改问题的企业"), "the list behind the count");
  check((await page.$$("#obligation-enterprises tbody tr td a")).length >= 1, "the list names the enterprise with the gap");
  await a11y(page, "the enterprises behind a figure");
  // The enterprise's grid counts it among those with a gap to put right.
  await menu(page, "/grids");
  await page.waitForSelector("#grids");
  const grids = await page.$$eval("#grids a[href^='/grids/']", (as) => as.map((a) => a.getAttribute("href")));
  let found = false;
  for (const g of grids) {
    await page.goto(base + g);
    await page.waitForSelector("#grid-members");
    const row = await page.$$eval("#grid-members tbody tr", (trs, e) =>
      trs.map((t) => [...t.querySelectorAll("td")].map((c) => c.textContent.trim())).find((c) => c[0] === e), enterprise);
    if (row) {
      check(Number(row[5]) >= 1, "the grid shows the enterprise's gap: " + row);
      check(/有待整改问题的 [1-9]/.test(await page.textContent("#grid-summary")), "the grid's figures count the gap");
      found = true;
      break;
    }
  }
  check(found, "the enterprise is in one of 如城街道's grids");
  await a11y(page, "a grid");
  await signOut();

  await signIn("rugao", "Demo@2018", "/");
  await menu(page, "/training");
  await page.waitForSelector("#training-sessions");
  await page.click("#new-session summary");
  await page.fill("#new-session input[name=title]", "浏览器测试：企业安全管理人员标准化培训");
  await page.selectOption("#new-session select[name=organiser]", "district");
  await page.fill("#new-session input[name=organiser_name]", "如皋市应急管理局");
  await page.selectOption("#new-session select[name=topic]", "standardisation");
  await page.selectOption("#new-session select[name=audience]", "principals");
  await page.fill("#new-session input[name=hours]", "3.5");
  await page.fill("#new-session input[name=place]", "如皋市政务服务中心");
  await page.fill("#new-session input[name=trainer]", "陈立新");
  await page.click("#new-session button[type=submit]");
  await page.waitForURL(/\/training\/\d+$/);
  const sheet = (rows) => {
    const path = join(work, "签到表.csv");
    writeFileSync(path, "\ufeff" + ["培训签到表", "序号,姓名,工作单位,身份,手机", ...rows, ""].join("\n"));
    return path;
  };
  await page.setInputFiles("#import-sign-in input[type=file]", sheet([
    `1,王建国,${enterprise},主要负责人,13962700001`,
    `2,李梅,${enterprise},安全员,`,
    "3,赵强,浏览器测试不存在的工厂,主要负责人,",
  ]));
  const sessionPath = new URL(page.url()).pathname;
  await page.click("#import-sign-in button[type=submit]");
  await page.waitForSelector("#sign-in-report");
  check(new URL(page.url()).pathname === sessionPath, "a refused sheet leaves the address on the session (a reload does not post again)");
  const report = await page.textContent("#sign-in-report");
  check(report.includes("未导入") && report.includes("浏览器测试不存在的工厂") && report.includes("不在您辖区的企业名录中"),
    "the sign-in report names the bad row: " + report);
  check((await page.textContent("#training-attendance")).includes("尚未登记签到"), "nothing was recorded");
  await a11y(page, "the sign-in report");
  await page.screenshot({ path: join(out, `${name}-sign-in-report.png`), fullPage: true });
  await page.setInputFiles("#import-sign-in input[type=file]", sheet([
    `1,王建国,${enterprise},主要负责人,13962700001`,
    `2,李梅,${enterprise},安全员,`,
  ]));
  await page.click("#import-sign-in button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#sign-in-report")?.textContent.includes("已导入"));
  check((await page.textContent("#sign-in-report")).includes("已导入 2 人"), "the corrected sheet is imported");
  check((await page.textContent("#training-attendance")).includes("李梅"), "the attendance lists the people");
  await page.goto(base + "/training/coverage");
  await page.waitForSelector("#training-coverage");
  await a11y(page, "the training coverage");
  await signOut();
}

async function gradingFlow({ page, context, base, name, work, signIn, signOut, restartOn }) {
  // Take a step and wait until the page shows its outcome: a new state, or the refusal.
  const act = async (key) => {
    const before = (await page.textContent("#case-state")).trim();
    await page.click(`#case-actions button[data-action='${key}']`);
    await page.waitForFunction(
      (old) => document.querySelector("#msg") || document.querySelector("#case-state").textContent.trim() !== old,
      before,
    );
  };
  const caseState = async () => (await page.textContent("#case-state")).trim();

  await signIn("qiye", "Demo@2018", "/");
  await page.goto(base + "/cases");
  await page.click("#cases tbody tr:first-child td:first-child a");
  await page.waitForSelector("#case-state");
  const caseUrl = page.url();
  check((await caseState()) === "自评中", "the enterprise's case is in self-assessment: " + (await caseState()));
  const enterpriseName = (await page.textContent("h1")).split("：")[1].trim();
  await page.click("#assess");
  await page.waitForSelector("#assessment-form");
  // Deduct on the first item and mark the second not applicable; the rest at full marks.
  const codes = await page.$$eval("#assessment-form input[name^=pts_]", (is) => is.map((i) => i.name.slice(4)));
  check(codes.length > 10, "the sheet's items are on the form: " + codes.length);
  const first = await page.inputValue(`input[name='pts_${codes[0]}']`);
  await page.fill(`input[name='pts_${codes[0]}']`, String(Math.max(0, Number(first) - 2)));
  await page.fill(`input[name='note_${codes[0]}']`, "目标考核记录不全");
  await page.check(`input[name='na_${codes[1]}']`);
  await page.fill("textarea[name=report]", `${enterpriseName}自评报告：对照评分细则逐项自查，发现问题3项，已全部整改。`);
  await page.click("#assessment-form button[type=submit]");
  await page.waitForURL(caseUrl);
  await act("apply");
  check((await caseState()) === "已申请", "applied: " + (await caseState()));
  await signOut();

  await signIn("rugao", "Demo@2018", "/");
  await page.goto(caseUrl);
  await act("accept");
  check((await caseState()) === "已受理", "the district accepted: " + (await caseState()));
  await signOut();

  await signIn("city", "Demo@2018", "/");
  await page.goto(caseUrl);
  const orgValue = await page.$eval("#assign-form select[name=org]", (sel) =>
    [...sel.options].find((o) => o.textContent.includes("江苏安评标准化评审中心")).value);
  await page.selectOption("#assign-form select[name=org]", orgValue);
  const team = await page.$$("#assign-form label:has-text('江苏安评标准化评审中心，资格至 2028') input[name=team]");
  check(team.length === 2, "two qualified evaluators of the organisation: " + team.length);
  for (const box of team) await box.check();
  await page.click("#assign-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#case-state").textContent.trim() !== "已受理");
  check((await caseState()) === "评审中", "assigned: " + (await caseState()));
  await signOut();

  await signIn("kaoping", "Demo@2018", "/");
  await page.goto(caseUrl);
  await page.click("#assess");
  await page.waitForSelector("#assessment-form");
  await page.fill("textarea[name=report]", "现场评审报告：查阅资料、现场核查，按评分细则逐项评分，符合三级要求。");
  await page.click("#assessment-form button[type=submit]");
  await page.waitForURL(caseUrl);
  check((await caseState()) === "评审完成", "evaluated: " + (await caseState()));
  check(/\d/.test(await page.textContent("#eval-score")), "the evaluation score is shown");
  await signOut();

  await signIn("city", "Demo@2018", "/");
  await page.goto(caseUrl);
  await act("approve");
  check((await caseState()) === "审核通过", "reviewed: " + (await caseState()));
  await act("start_notice");
  check((await caseState()) === "公示中", "notice started: " + (await caseState()));
  // Announcing before the notice has run is refused with the end date and the rule.
  await act("announce");
  check((await page.textContent("#msg")).includes("公示期至"), "too early to announce");
  const notices = await (await fetch(base + "/portal/notices")).text();
  check(notices.includes(enterpriseName), "the notice is on the public portal");
  await page.screenshot({ path: join(out, `${name}-notice.png`) });

  // Three weeks later the notice has run.
  const later = new Date(Date.now() + 8 * 3600e3 + 21 * 86400e3).toISOString().slice(0, 10);
  await restartOn(later);
  await page.goto(caseUrl);
  check((await page.textContent(".fixed-date")).includes(later), "the fixed business date is announced on the page");
  await act("announce");
  check((await caseState()) === "已公告发证", "announced: " + (await caseState()));
  const number = (await page.textContent("#certificate")).trim();
  check(/^苏AQB[A-Z]{2}Ⅲ\d{4}\d{5}$/.test(number), "a national-format certificate number: " + number);

  await page.click("#standing");
  await page.waitForSelector("#certificates");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click(`#certificates tr:has-text('${number}') a.cert-pdf`),
  ]);
  const pdfPath = join(work, "certificate.pdf");
  await download.saveAs(pdfPath);
  const pdf = readFileSync(pdfPath).toString("latin1");
  check(pdf.startsWith("%PDF-") && /\/FontFile[23]/.test(pdf), "an A4 PDF with an embedded font");
  const link = /\/URI\((http[^)]+)\)/.exec(pdf);
  check(link && link[1].startsWith(base + "/verify/"), "the QR code links to the verification page: " + (link && link[1]));
  await page.screenshot({ path: join(out, `${name}-standing.png`) });

  // The public, signed out, opens the QR address.
  const pub = await context.newPage();
  await context.clearCookies();
  await pub.goto(link[1]);
  const verdict = await pub.textContent("main");
  check(verdict.includes(number) && verdict.includes(enterpriseName) && verdict.includes("有效"), "the portal verifies the certificate: " + verdict.slice(0, 200));
  await pub.screenshot({ path: join(out, `${name}-verify.png`) });
  await pub.close();
}

function pgUrl(dbName) {
  const u = new URL(pgAdmin);
  u.pathname = "/" + dbName;
  return u.toString();
}

const stamp = `${process.pid}_${Date.now()}`;
await scenario("sqlite", "sqlite://e2e.db", 18081);
const pgDb = `anbiao_e2e_${stamp}`;
await scenario("postgres", pgUrl(pgDb), 18082);
// Drop the PostgreSQL database the demo created.
await new Promise((resolve) => {
  const p = spawn("psql", [pgAdmin, "-qc", `DROP DATABASE IF EXISTS "${pgDb}" WITH (FORCE)`], { stdio: "ignore" });
  p.on("exit", resolve);
  p.on("error", resolve);
});
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
