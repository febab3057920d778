/**
 * The web app across devices and people, in a real Chromium against a real broker and host and a
 * scripted agent: a session the agent starts appears in the list without a reload; two windows (two
 * devices) stay identical and an answer given in one resolves the request in the other, naming the
 * device; a countdown reaches the deadline and the default is shown as applied; send, steer and
 * cancel reach the agent.
 */
import t from 'tap';
import { DESKTOP, PHONE, SHOWN_MS, shown, webScene, type Page } from './fixtures/web-scene.ts';

/** What a window shows of the session, without this window's own presence line. */
const timelineText = (page: Page) => page.getByTestId('timeline').textContent();

t.test('the web app on several devices', async (t) => {
  const scene = await webScene(t);

  t.test('a session the agent starts appears in the list without a reload, marked as started by the agent', async (t) => {
    const page = await scene.window('dave');
    await shown(page.getByTestId('agent').filter({ hasText: 'online' }));
    const { sid, bot } = await scene.botSession('Nightly report', ['dave']);
    const row = page.locator(`[data-sid="${sid}"]`);
    await shown(row.getByTestId('agent-started'));
    t.match(await row.textContent(), /Nightly report/, 'the new session is listed with its title');
    await scene.bot.setAgentStatus('degraded', 'the model endpoint does not answer');
    await shown(page.locator('[data-agent="bot"]').filter({ hasText: 'degraded — the model endpoint does not answer' }));
    await scene.shot(page, 'devices-agent-degraded');
    await scene.bot.setAgentStatus('busy');
    await shown(page.locator('[data-agent="bot"]').filter({ hasText: 'busy' }));
    await scene.bot.setAgentStatus('online');
    t.pass('the list shows the agent degraded with the reason, then busy');
    await bot.send('The report is ready.', { role: 'agent' });
    await shown(row.getByTestId('unread'));
    t.match(await row.getByTestId('unread').textContent(), /^[1-9]\d*$/, 'it counts unread events');
    await bot.ask({
      prompt: 'Publish the report?',
      answerSchema: { type: 'boolean' },
      deadline: 120_000,
      onTimeout: { policy: 'default', value: false },
      risk: 'medium',
    });
    await shown(row.getByTestId('wants-input').filter({ hasText: 'Publish the report?' }));
    t.equal(await page.title(), '(1) Tether', 'the title badge counts the sessions waiting for an answer');
    t.match(await row.getByTestId('countdown').textContent(), /^\d+:\d\d left$/, 'the list shows the time left');
    await scene.shot(page, 'devices-list');
  });

  t.test('two windows stay identical, and an answer in one resolves the request in the other', async (t) => {
    const laptop = await scene.window('erin');
    const phone = await scene.window('erin', PHONE);
    const { sid, bot, log } = await scene.botSession('Deploy plan', ['erin']);
    for (const page of [laptop, phone]) await page.locator(`[data-sid="${sid}"] a`).click();
    const devices = await Promise.all([laptop, phone].map((p) => p.evaluate(() => sessionStorage.getItem('tether.device'))));
    for (const d of devices) await shown(laptop.getByTestId('device').filter({ hasText: `${d}: online` }));
    t.pass(`the laptop shows both of erin's devices online (${devices.join(', ')})`);
    const writer = bot.stream({ windowMs: 0 });
    for (const word of 'I will deploy build 42 to staging first.'.split(' ')) await writer.write(`${word} `);
    await writer.complete();
    const asked = await bot.ask({
      prompt: 'Which environment goes next?',
      answerSchema: {
        type: 'object',
        properties: { target: { enum: ['staging', 'production'] }, replicas: { type: 'integer', minimum: 1 }, notify: { type: 'boolean' } },
      },
      deadline: 120_000,
      onTimeout: { policy: 'fail' },
      risk: 'high',
    });
    for (const page of [laptop, phone]) await shown(page.getByTestId('input').filter({ hasText: 'Which environment goes next?' }));
    t.equal(await timelineText(laptop), await timelineText(phone), 'both windows show the same timeline');
    await scene.shot(phone, 'devices-phone-asked');

    const form = laptop.getByTestId('input');
    await form.getByLabel('production').check();
    await form.getByLabel('replicas').fill('3');
    await form.getByLabel('notify').check();
    await form.getByRole('button', { name: 'Answer' }).click();
    const resolution = await asked.resolution;
    t.same(resolution.value, { target: 'production', replicas: 3, notify: true }, 'the agent gets the typed answer');
    const device = await laptop.evaluate(() => sessionStorage.getItem('tether.device'));
    for (const page of [laptop, phone]) {
      await shown(page.getByTestId('decided'));
      t.match(
        await page.getByTestId('decided').textContent(),
        new RegExp(`by erin on ${device}`),
        'the outcome names the person and the device',
      );
    }
    t.equal(await phone.getByRole('button', { name: 'Answer' }).count(), 0, 'the other window no longer offers to answer');
    t.equal(await timelineText(laptop), await timelineText(phone), 'both windows still show the same timeline');
    t.ok(log.of('input.resolved').length === 1, 'one resolution in the log');
    await scene.shot(laptop, 'devices-laptop-answered');
    await scene.shot(phone, 'devices-phone-answered');
  });

  t.test('a countdown reaches the deadline and the default is shown as applied', async (t) => {
    const page = await scene.window('frank');
    const { sid, bot } = await scene.botSession('Timeout', ['frank']);
    await page.locator(`[data-sid="${sid}"] a`).click();
    await bot.ask({
      prompt: 'Delete the old backups?',
      answerSchema: { type: 'boolean' },
      deadline: 3_000,
      onTimeout: { policy: 'default', value: false },
      risk: 'high',
    });
    const card = page.getByTestId('input');
    await shown(card.getByTestId('countdown').filter({ hasText: /0:0\d left/ }));
    t.match(
      await card.getByTestId('on-timeout').textContent(),
      /the default applies: no/,
      'the default that will apply is shown before the deadline',
    );
    await scene.shot(page, 'devices-countdown');
    await shown(card.getByTestId('decided'), 15_000);
    t.equal(
      await card.getByTestId('decided').textContent(),
      'Decided by the timeout: the default no applied.',
      'the timeout decided, with the default',
    );
    await scene.shot(page, 'devices-timed-out');
  });

  t.test('send, steer and cancel from the page reach the agent', async (t) => {
    const page = await scene.window('gina');
    const { sid, bot, log } = await scene.botSession('Controls', ['gina']);
    await page.locator(`[data-sid="${sid}"] a`).click();
    const box = page.getByLabel('Message', { exact: true });
    await box.fill('Hello bot');
    await box.press('Enter');
    const sent = await log.next((e) => e.type === 'message' && e.sender === 'gina', 15_000, 'the message');
    t.match(sent.data, { parts: [{ kind: 'text', text: 'Hello bot' }] }, 'Enter sends the message');
    const { runId } = await bot.startRun({ title: 'Answering' });
    await shown(page.getByRole('button', { name: 'Steer' }));
    await box.fill('Keep it short');
    await page.getByRole('button', { name: 'Steer' }).click();
    const steer = await log.next((e) => e.type === 'steer', 15_000, 'the steer');
    t.match(steer.data, { text: 'Keep it short', runId }, 'the steer names the run in progress');
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await log.next((e) => e.type === 'run.cancel_requested', 15_000, 'the cancel');
    await bot.finishRun(runId, 'cancelled');
    await shown(page.getByTestId('run').filter({ hasText: 'cancelled' }));
    t.pass('the run shows as cancelled');
    await scene.shot(page, 'devices-controls');
  });

  t.test('browser notifications for input wanted and a finished run, and for what was asked while the tab was closed', async (t) => {
    const context = await scene.browser.newContext({ viewport: DESKTOP });
    t.teardown(() => context.close());
    await context.grantPermissions(['notifications'], { origin: new URL(scene.url).origin });
    // Records the body of every notification the page shows; the browser's own Notification still shows it.
    await context.addInitScript(() => {
      const Real = window.Notification;
      const bodies: string[] = [];
      (window as unknown as { __notified: string[] }).__notified = bodies;
      class Recorded extends Real {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          bodies.push(options?.body ?? '');
        }
      }
      Object.defineProperty(window, 'Notification', { value: Recorded, configurable: true });
    });
    const notified = (page: Page, text: string) =>
      page.waitForFunction((s) => (window as unknown as { __notified: string[] }).__notified.some((b) => b.includes(s)), text, {
        timeout: SHOWN_MS,
      });
    const page = await context.newPage();
    await scene.signIn(page, 'lena');
    t.equal(await page.getByRole('button', { name: 'Notifications' }).count(), 0, 'no button once the permission is decided');
    const { sid, bot } = await scene.botSession('Budget', ['lena']);
    await bot.ask({
      prompt: 'Approve the budget?',
      answerSchema: { type: 'boolean' },
      deadline: 120_000,
      onTimeout: { policy: 'default', value: false },
    });
    await notified(page, 'Approve the budget?');
    t.pass('an input request notifies');
    const { runId } = await bot.startRun({ title: 'Budget check' });
    await bot.finishRun(runId, 'completed', { summary: 'The budget fits' });
    await notified(page, 'The budget fits');
    t.pass('a finished run notifies with its summary');
    await page.close();

    const later = await scene.botSession('Hiring', ['lena']);
    await later.bot.ask({
      prompt: 'Interview on Monday?',
      answerSchema: { type: 'boolean' },
      deadline: 120_000,
      onTimeout: { policy: 'default', value: false },
    });
    const again = await context.newPage();
    await scene.signIn(again, 'lena');
    await notified(again, 'Interview on Monday?');
    t.pass('a request asked while the tab was closed is notified when it opens');
    const bodies = await again.evaluate(() => (window as unknown as { __notified: string[] }).__notified);
    t.notOk(
      bodies.some((b) => b.includes('Approve the budget?')),
      'what was notified before is not notified again',
    );
    t.match(await again.locator(`[data-sid="${later.sid}"]`).textContent(), /Interview on Monday\?/, 'and the list shows it');
    t.equal(await again.locator(`[data-sid="${sid}"]`).count(), 1, 'the earlier session is listed too');
    await scene.shot(again, 'devices-notified');
  });
});
