/**
 * The web app with the reference agent on its offline demo model, in a real Chromium: a 390 px wide
 * phone is a layout of its own (no sideways scrolling, the composer on screen, back to the list),
 * everything is reachable from the keyboard, and axe-core reports no serious or critical violation
 * on the sign-in page, the list and a session with a stream, tool calls, the context manifest and an
 * open input request. With TETHER_DOCS_SCREENSHOTS=1 it also writes docs/web-list.png and
 * docs/web-session.png, the README's screenshots.
 */
import t from 'tap';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ReferenceAgent } from '../clients/agent/agent.ts';
import { DemoModel } from '../clients/agent/model/demo-model.ts';
import { writeFileSync } from 'node:fs';
import { hashPassword } from '../broker/auth.ts';
import { startTether } from '../broker/embedded.ts';
import { quietLogger, tempDir } from './helpers.ts';
import { DESKTOP, PHONE, SHOWN_MS, shown, webScene, type Page } from './fixtures/web-scene.ts';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const DOCS = join(import.meta.dirname, '..', 'docs');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's violations of impact serious or critical on the page as it is now. */
async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

const describe = (vs: AxeViolation[]) =>
  vs.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('\n');

/** The page scrolls only up and down: nothing is wider than the viewport. */
const overflowX = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

t.test('the web app on a phone, from the keyboard, and with axe-core', async (t) => {
  const scene = await webScene(t);
  const agent = new ReferenceAgent({
    url: scene.tether.mqttUrl,
    agentId: 'assistant',
    model: new DemoModel({ tokensPerSecond: 400 }),
    doubleTexting: 'enqueue',
    maxModelCalls: 6,
    budgetTokens: 4000,
    log: () => {},
  });
  await agent.start();
  t.teardown(() => agent.stop());

  t.test('sign-in, list and session on a 390 px wide phone, driven from the keyboard', async (t) => {
    const context = await scene.browser.newContext({ viewport: PHONE, hasTouch: true, isMobile: true });
    t.teardown(() => context.close());
    const page = await context.newPage();
    await page.goto(scene.url);
    t.same(await seriousViolations(page), [], 'axe: no serious violation on the sign-in page');
    await scene.shot(page, 'layout-phone-sign-in');
    await page.getByLabel('Name').focus();
    await page.keyboard.type('hana');
    await page.keyboard.press('Enter');
    await shown(page.getByTestId('agent').filter({ hasText: 'online' }));
    t.equal(await overflowX(page), 0, 'the list fits the phone width');

    // A session with the agent, started from the keyboard.
    await page.getByLabel('New session').focus();
    await page.keyboard.type('Release');
    await page.keyboard.press('Enter');
    await shown(page.getByTestId('session-view'));
    t.equal(await page.locator('nav.list').isVisible(), false, 'on a phone the session takes the whole screen');
    await page.getByLabel('Message', { exact: true }).focus();
    await page.keyboard.type('Please deploy build 42 to production');
    await page.keyboard.press('Enter');
    const card = page.getByTestId('input');
    await shown(card, SHOWN_MS);
    await shown(page.getByTestId('tool-call'));
    t.equal(await overflowX(page), 0, 'the session with an input request fits the phone width');
    const composer = await page.locator('form.composer').boundingBox();
    t.ok(composer && composer.y + composer.height <= PHONE.height, 'the composer is on screen');
    await scene.shot(page, 'layout-phone-session');

    await card.getByRole('button', { name: 'No' }).focus();
    await page.keyboard.press('Enter');
    await shown(card.getByTestId('decided'));
    t.match(await card.getByTestId('decided').textContent(), /^Answered no by hana on web-/, 'answered from the keyboard');
    const result = page.getByTestId('tool-result').last();
    await shown(result);
    t.equal(await result.evaluate((d) => (d as HTMLDetailsElement).open), false, 'the tool result is collapsed');
    await result.locator('summary').focus();
    await page.keyboard.press('Enter');
    await shown(result.locator('pre'));
    t.match(await result.locator('pre').textContent(), /false|no/, 'and opens from the keyboard, showing the result');
    await page.getByRole('button', { name: 'Back to the session list' }).focus();
    await page.keyboard.press('Enter');
    await shown(page.getByTestId('session-row'));
    t.equal(await page.getByTestId('session-view').count(), 0, 'back to the list');
    await scene.shot(page, 'layout-phone-list');
  });

  t.test('axe-core finds no serious violation on the list and a session with stream, tools, manifest and a question', async (t) => {
    const page = await scene.window('ivan', DESKTOP);
    t.same(await seriousViolations(page), [], 'axe: no serious violation on the list');
    const sid = await scene.bot.createSession({
      title: 'Weekly cleanup',
      participants: [
        { principal: 'ivan', role: 'member' },
        { principal: 'assistant', role: 'agent' },
      ],
    });
    await page.locator(`[data-sid="${sid}"] a`).click();
    await page.getByLabel('Message', { exact: true }).fill('Hello, what can you do?');
    await page.getByRole('button', { name: 'Send' }).click();
    await shown(page.locator('[data-testid="message"]:not([aria-busy="true"])').filter({ hasText: '[demo model] You asked about' }));
    await page.getByLabel('Message', { exact: true }).fill('Delete the old backups, please');
    await page.keyboard.press('Enter');
    await shown(page.getByTestId('input'));
    await shown(page.getByTestId('manifest'));
    await page.getByTestId('manifest').first().locator('summary').click();
    await page.getByTestId('tool-call').first().locator('summary').click();
    const violations = await seriousViolations(page);
    t.same(violations, [], `axe: no serious violation in the session${violations.length ? `\n${describe(violations)}` : ''}`);
    await scene.shot(page, 'layout-desktop-session');
    if (process.env.TETHER_DOCS_SCREENSHOTS) {
      await page.getByTestId('input').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(DOCS, 'web-session.png') });
      await page.getByRole('link', { name: 'Tether' }).click();
      await shown(page.getByTestId('session-row'));
      await page.screenshot({ path: join(DOCS, 'web-list.png') });
    }
  });

  t.test('with a users file the page asks for a password, refuses a wrong one and never stores it', async (t) => {
    const dir = tempDir(t, 'tether-web-users-');
    const users = join(dir, 'users.txt');
    writeFileSync(users, `kim:${hashPassword('correct horse', 12)}\n`);
    const secured = await startTether({
      mqttPort: 0,
      httpPort: 0,
      dataDir: dir,
      logger: quietLogger(),
      synchronous: 'NORMAL',
      auth: { usersFile: users },
    });
    t.teardown(() => secured.close());
    const context = await scene.browser.newContext({ viewport: DESKTOP });
    t.teardown(() => context.close());
    const page = await context.newPage();
    await page.goto(`${secured.httpUrl}/`);
    await page.getByLabel('Name').fill('kim');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await shown(page.getByRole('alert').filter({ hasText: 'Sign-in refused' }));
    t.pass('a wrong password is refused, with a message');
    await scene.shot(page, 'layout-password-refused');
    await page.getByLabel('Password').fill('correct horse');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await shown(page.getByTestId('who').filter({ hasText: 'kim' }));
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
    t.notMatch(stored, /correct horse|wrong/, 'neither localStorage nor sessionStorage holds a password');
    t.same(await seriousViolations(page), [], 'axe: no serious violation');
    await page.reload();
    await shown(page.getByLabel('Password'));
    t.equal(await page.getByLabel('Password').inputValue(), '', 'after a reload the password is asked again');
    await scene.shot(page, 'layout-password-reload');
  });
});
